"""The category-question registry: one entry asks, checks, stores and shows a question everywhere."""
from __future__ import annotations

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
    assert "Plaque d’immatriculation" in page and "1-ABC-234" in page


def test_the_plate_is_an_open311_attribute(app: Flask) -> None:
    client = app.test_client()
    definition = client.get("/open311/v2/services/vehicle-theft.json?locale=en").get_json()
    plate = next(a for a in definition["attributes"] if a["code"] == "plate")
    assert plate["datatype"] == "string" and plate["description"] == "Licence plate (optional)"
    names = [q.name for q in questions_of("vehicle")]
    assert [a["code"] for a in definition["attributes"][1:]] == names
