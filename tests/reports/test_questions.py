"""The category-question registry: one entry asks, checks, stores and shows a question everywhere."""
from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from portal.i18n import speaking
from portal.reports.models import Report
from portal.reports.questions import all_questions, check_answers, normalise_plate, questions_of
from tests.reports.helpers import open_form, post_report
from tests.staff import login, make_user


@pytest.mark.parametrize(("typed", "stored"), [
    ("1abc234", "1-ABC-234"),
    ("1 ABC 234", "1-ABC-234"),
    ("1-abc-234", "1-ABC-234"),
    ("1.ABC.234", "1-ABC-234"),
    ("abc123", "ABC-123"),
    ("123 abc", "123-ABC"),
    ("B-MS 1234", "B-MS 1234"),   # a German plate: kept as typed, in capitals
    ("ab-123-cd", "AB-123-CD"),   # French
    ("0abc234", "0ABC234"),       # no Belgian plate starts with 0: kept
])
def test_belgian_plates_are_written_the_belgian_way_others_as_typed(typed: str, stored: str) -> None:
    assert normalise_plate(typed) == stored


def test_answers_are_checked_by_the_registry(web_app: Flask) -> None:
    with web_app.app_context(), speaking("en"):
        kept, errors = check_answers("vehicle", {
            "make": "  VW   Polo ", "plate": "1abc234", "police_declaration": "maybe",
            "school": "not asked of a car", "colour": ""})
        assert kept == {"make": "VW Polo", "plate": "1-ABC-234"}
        assert errors == {"police_declaration": "Choose one of the answers."}
        kept, errors = check_answers("vehicle", {"plate": "X" * 21})
        assert (kept, errors) == ({}, {"plate": "Use at most 20 characters."})
        assert check_answers("", {"school": "x"}) == ({}, {})
        assert check_answers("no-such-set", {"school": "x"}) == ({}, {})


def test_every_question_has_a_label_in_each_language(web_app: Flask) -> None:
    labels = {}
    for lang in ("fr", "nl", "en"):
        with web_app.app_context(), speaking(lang):
            labels[lang] = [str(q.label) for q in all_questions()]
    assert len(set(labels["fr"]) & set(labels["en"])) == 0
    assert len(set(labels["nl"]) & set(labels["en"])) == 0


def test_the_plate_is_asked_stored_normalised_and_shown_to_staff(app: Flask, client: FlaskClient) -> None:
    form = open_form(client, "nl", "vehicle-theft")[0]
    assert 'name="plate"' in form and 'maxlength="20"' in form
    assert 'name="plate"' not in open_form(client, "nl", "vandalism")[0]
    response = post_report(client, "nl", "vehicle-theft", plate="1 abc 234", postal_code="1050",
                           municipality="21009")
    assert response.status_code == 303
    with app.app_context():
        report = db.session.scalar(select(Report))
        assert report is not None
        assert report.details["plate"] == "1-ABC-234"
        reference = report.reference
    make_user(app, "plate@ixelles.example", "staff", ("21009",))
    staff = app.test_client()
    assert login(staff, "plate@ixelles.example").status_code == 303
    page = staff.get(f"/fr/manage/reports/{reference}").get_data(as_text=True)
    assert "immatriculation" in page and "1-ABC-234" in page


def test_the_plate_is_an_open311_attribute(app: Flask) -> None:
    client = app.test_client()
    definition = client.get("/open311/v2/services/vehicle-theft.json?locale=en").get_json()
    plate = next(a for a in definition["attributes"] if a["code"] == "plate")
    assert plate["datatype"] == "string" and plate["description"] == "Licence plate (optional)"
    names = [q.name for q in questions_of("vehicle")]
    assert [a["code"] for a in definition["attributes"][1:]] == names


# Public transport: line type, number, stop, and a time window ---------------------------------

def _facts(day: str = "2026-11-20", now: str = "2026-11-30T12:00:00"):
    from datetime import date, datetime

    from portal.reports.questions import Facts
    from portal.times import BRUSSELS

    return Facts(date.fromisoformat(day), datetime.fromisoformat(now).replace(tzinfo=BRUSSELS))


def test_the_time_window_is_checked_by_the_registry(web_app: Flask) -> None:
    with web_app.app_context(), speaking("en"):
        kept, errors = check_answers("transport", {
            "time_from": "17:05", "time_to": "18:30:00", "line_type": "tram", "line": " 71 ",
            "stop": "Flagey"}, _facts())
        assert errors == {}
        assert kept == {"time_from": "17:05", "time_to": "18:30", "line_type": "tram", "line": "71",
                        "stop": "Flagey"}
        # The end before the start: at the end, in words that say what to do.
        kept, errors = check_answers("transport", {"time_from": "18:00", "time_to": "17:00"}, _facts())
        assert list(errors) == ["time_to"]
        assert errors["time_to"].startswith("The end of the period cannot be before its start.")
        # Equal is a window of one minute, not an error; one end alone is allowed.
        assert check_answers("transport", {"time_from": "18:00", "time_to": "18:00"}, _facts())[1] == {}
        assert check_answers("transport", {"time_to": "08:00"}, _facts())[1] == {}
        # Today, later than now: both in the future, each says so.
        kept, errors = check_answers("transport", {"time_from": "13:00", "time_to": "14:00"},
                                     _facts("2026-11-30", "2026-11-30T12:00:00"))
        assert errors == {"time_from": "The time cannot be in the future.",
                          "time_to": "The time cannot be in the future."}
        # Not a time; an unknown line type.
        kept, errors = check_answers("transport", {"time_from": "25:00", "line_type": "boat"}, _facts())
        assert errors == {"time_from": "Give a time such as 17:30.",
                          "line_type": "Choose one of the answers."}
        # Without the date (Open311's own check of one answer), the window is not compared.
        assert check_answers("transport", {"time_from": "18:00", "time_to": "17:00"})[1] == {}


def test_the_time_window_errors_are_in_the_resident_language(web_app: Flask) -> None:
    with web_app.app_context(), speaking("fr"):
        errors = check_answers("transport", {"time_from": "18:00", "time_to": "17:00"}, _facts())[1]
        assert errors["time_to"].startswith("La fin de la période ne peut pas précéder son début.")
    with web_app.app_context(), speaking("nl"):
        errors = check_answers("transport", {"time_from": "9u"}, _facts())[1]
        assert errors["time_from"] == "Vul een tijdstip in, bijvoorbeeld 17:30."


def test_a_transport_report_asks_a_window_and_keeps_what_was_typed(app: Flask, client: FlaskClient) -> None:
    html = open_form(client, "fr", "transport-pickpocketing")[0]
    assert 'name="time_from"' in html and 'name="time_to"' in html and 'type="time"' in html
    assert 'name="occurred_at_time"' not in html  # the window replaces the single time
    assert 'name="line_type"' in html and 'value="premetro"' in html
    assert 'name="time_from"' not in open_form(client, "fr", "vandalism")[0]
    response = post_report(client, "fr", "transport-pickpocketing", occurred_at_time=None,
                           time_from="18:40", time_to="18:10", line_type="tram", line="81")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "La fin de la période ne peut pas précéder son début." in page
    assert 'value="18:40"' in page and 'value="18:10"' in page and 'value="81"' in page
    assert re.search(r'<input checked id="line_type-\d" name="line_type" type="radio" value="tram">', page)
    with app.app_context():
        assert db.session.scalar(select(Report)) is None


def test_a_transport_report_is_stored_shown_to_staff_and_exported(app: Flask, client: FlaskClient) -> None:
    response = post_report(client, "nl", "transport-pickpocketing", occurred_at_time=None,
                           time_from="17:10", time_to="18:25", line_type="premetro", line="4",
                           stop="Beurs", postal_code="1000")
    assert response.status_code == 303
    with app.app_context():
        report = db.session.scalar(select(Report))
        assert report is not None
        assert {k: report.details[k] for k in ("time_from", "time_to", "line_type", "line", "stop")} == {
            "time_from": "17:10", "time_to": "18:25", "line_type": "premetro", "line": "4",
            "stop": "Beurs"}
        reference = report.reference
    make_user(app, "stib@bxl.example", "staff", ("21004",))
    staff = app.test_client()
    assert login(staff, "stib@bxl.example").status_code == 303
    page = staff.get(f"/fr/manage/reports/{reference}").get_data(as_text=True)
    for shown in ("Plage horaire\u00a0: de", "17:10", "Plage horaire\u00a0: jusqu&#39;à", "18:25",
                  "Type de ligne", "Prémétro", "Beurs"):
        assert shown in page, shown
    page = staff.get(f"/en/manage/reports/{reference}").get_data(as_text=True)
    assert "Time window: from" in page and "Premetro" in page


def test_transport_and_vehicle_questions_in_open311_service_definitions(app: Flask) -> None:
    client = app.test_client()
    transport = client.get("/open311/v2/services/transport-pickpocketing.json?locale=en").get_json()
    by_code = {a["code"]: a for a in transport["attributes"]}
    assert by_code["line_type"]["datatype"] == "singlevaluelist"
    assert [v["key"] for v in by_code["line_type"]["values"]] == [
        "metro", "premetro", "tram", "bus", "train", "other"]
    assert by_code["time_from"]["datatype"] == "string"
    assert by_code["time_from"]["description"] == "Time window: from"
    assert "17:30" in by_code["time_to"]["datatype_description"]
    vehicle = client.get("/open311/v2/services/vehicle-theft.json?locale=fr").get_json()
    by_code = {a["code"]: a for a in vehicle["attributes"]}
    assert {v["key"]: v["name"] for v in by_code["theft_kind"]["values"]} == {
        "of": "Le véhicule lui-même",
        "from": "Quelque chose dans ou sur le véhicule (vitre brisée, contenu, pièces)"}
    assert [v["key"] for v in by_code["vehicle_kind"]["values"]] == ["car", "van", "motorbike", "bicycle"]
    xml = client.get("/open311/v2/services/transport-pickpocketing.xml").get_data(as_text=True)
    assert "<code>time_to</code>" in xml and "<key>premetro</key>" in xml


@pytest.mark.parametrize(("plate", "stored"), [("1abc234", "1-ABC-234"), ("1–abc–234", "1-ABC-234"),
                                               ("GE 123 AB", "GE 123 AB")])
def test_vehicle_kind_and_plate_are_stored(app: Flask, client: FlaskClient, plate: str, stored: str) -> None:
    response = post_report(client, "en", "vehicle-theft", theft_kind="from", vehicle_kind="van",
                           plate=plate, postal_code="1050", municipality="21009")
    assert response.status_code == 303
    with app.app_context():
        report = db.session.scalar(select(Report))
        assert report is not None
        assert (report.details["theft_kind"], report.details["vehicle_kind"], report.details["plate"]) == (
            "from", "van", stored)


def test_an_unknown_vehicle_kind_comes_back_at_its_field(client: FlaskClient) -> None:
    response = post_report(client, "nl", "vehicle-theft", vehicle_kind="tank")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Kies een van de antwoorden." in page and 'id="vehicle_kind-error"' in page
