"""The place: where the report goes before it is sent, the choice step's map, "I don't know"
and the coordinators' queue of reports whose municipality is to decide."""
from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal import geo
from portal.api.serializers import DOCUMENTS
from portal.extensions import db
from portal.notify.models import OutboxMessage
from portal.reports import placing
from portal.reports.models import MunicipalContact, Report
from tests.outbox import rendered
from tests.reports.helpers import open_form, report_data
from tests.staff import action_fields, login, make_user

WAVRE = ("50.717", "4.611")
FLAGEY = ("50.827", "4.372")  # Ixelles
STAFF = {"ixelles": ("own@ixelles.example", "staff", ("21009",)),
         "brussels": ("other@bruxelles.example", "staff", ("21004",)),
         "coordinator": ("coord@region.example", "coordinator", ())}


def reports(app: Flask) -> list[Report]:
    with app.app_context():
        return list(db.session.scalars(select(Report).order_by(Report.id)))


def choice_page(client: FlaskClient, lang: str, **overrides: str) -> tuple[str, dict[str, str]]:
    _html, hidden = open_form(client, lang, "burglary")
    data = {**hidden, **report_data("burglary", **overrides)}
    response = client.post(f"/{lang}/report/new/burglary", data=data)
    assert response.status_code == 200
    return response.get_data(as_text=True), data


def radio_values(page: str) -> list[str]:
    return re.findall(r'name="municipality" type="radio" value="([^"]+)"', page)


@pytest.mark.parametrize(("lang", "words"), [
    ("fr", "Le code postal 1050 est partagé par la Ville de Bruxelles et la commune d&#39;Ixelles"),
    ("nl", "De postcode 1050 wordt gedeeld door de Stad Brussel en de gemeente Elsene"),
    ("en", "The postal code 1050 is shared by the City of Brussels and the municipality of Ixelles"),
])
def test_a_shared_code_shows_both_on_a_map_and_offers_i_dont_know(
        app: Flask, client: FlaskClient, lang: str, words: str) -> None:
    page, _data = choice_page(client, lang, postal_code="1050")
    assert words in page
    svg = re.search(r"<svg[^>]*role=\"img\".*?</svg>", page, re.DOTALL)
    assert svg is not None
    assert len(re.findall(r'<path class="place-map-area', svg.group(0))) == 2
    assert "place-map-pin" not in svg.group(0)  # no position given
    assert radio_values(page) == ["21004", "21009", "unknown"]
    assert reports(app) == []


def test_i_dont_know_goes_to_the_coordinators_and_no_municipality_is_told(
        app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        db.session.add(MunicipalContact(municipality_nis="21009", email="prev@ixelles.example.invalid"))
        db.session.add(MunicipalContact(municipality_nis="21004", email="prev@bxl.example.invalid"))
        db.session.commit()
    _page, data = choice_page(client, "fr", postal_code="1050", email="resident@example.org")
    response = client.post("/fr/report/new/burglary", data={**data, "municipality": "unknown"})
    assert response.status_code == 303
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "coordinateurs" in done and "Bruxelles ou Ixelles" in done
    tracking = re.search(r'href="http://[^/"]+(/fr/track/[^"]+)"', done).group(1)
    shown = client.get(tracking, follow_redirects=True).get_data(as_text=True)
    assert "À déterminer par les coordinateurs régionaux" in shown
    [report] = reports(app)
    assert report.municipality_to_decide and report.municipality_nis == "21004"
    with app.app_context():
        recipients = [m.recipient for m in db.session.scalars(select(OutboxMessage))]
        [to_resident] = [rendered(m) for m in db.session.scalars(select(OutboxMessage))]
        assert "coordinateurs" in to_resident.body
    assert recipients == ["resident@example.org"]


def test_i_dont_know_is_refused_where_one_municipality_is_possible(
        app: Flask, client: FlaskClient) -> None:
    _html, hidden = open_form(client, "en", "burglary")
    data = {**hidden, **report_data("burglary", postal_code="1060", municipality="unknown")}
    assert client.post("/en/report/new/burglary", data=data).status_code == 303
    [report] = reports(app)
    assert (report.municipality_nis, report.municipality_to_decide) == ("21013", False)


def test_a_position_outside_with_a_brussels_code_says_so_and_keeps_the_code(
        app: Flask, client: FlaskClient) -> None:
    page, data = choice_page(client, "en", postal_code="1000", latitude=WAVRE[0], longitude=WAVRE[1])
    assert "Your position is outside the Brussels-Capital Region" in page
    assert "place-map-pin" in page
    assert radio_values(page) == ["21004"]
    response = client.post("/en/report/new/burglary", data={**data, "municipality": "21004"})
    assert response.status_code == 303
    assert reports(app)[0].municipality_nis == "21004"


def test_a_position_and_a_code_that_disagree_offer_both(app: Flask, client: FlaskClient) -> None:
    page, _data = choice_page(client, "nl", postal_code="1000", latitude=FLAGEY[0], longitude=FLAGEY[1])
    assert radio_values(page) == ["21004", "21009", "unknown"]
    assert "place-map-pin" in page and page.count('<path class="place-map-area') == 2


@pytest.mark.parametrize(("lang", "sentence"), [
    ("fr", "Ce signalement ira à la commune de Saint-Gilles — zone de police Midi."),
    ("nl", "Deze melding gaat naar de gemeente Sint-Gillis — politiezone Zuid."),
    ("en", "This report will go to the municipality of Saint-Gilles"),
])
def test_the_destination_is_shown_before_sending(client: FlaskClient, lang: str, sentence: str) -> None:
    _html, hidden = open_form(client, lang, "burglary")
    data = {**hidden, **report_data("burglary", postal_code="1060", description="")}
    response = client.post(f"/{lang}/report/new/burglary", data=data)
    assert response.status_code == 422
    assert sentence in response.get_data(as_text=True)


def test_municipality_phrases() -> None:
    ixelles, brussels = geo.municipality("21009"), geo.municipality("21004")
    assert placing.municipality_phrase(ixelles, "fr") == "la commune d'Ixelles"
    assert placing.municipality_phrase(geo.municipality("21016"), "fr") == "la commune d'Uccle"
    assert placing.municipality_phrase(geo.municipality("21015"), "fr") == "la commune de Schaerbeek"
    assert placing.municipality_phrase(ixelles, "nl") == "de gemeente Elsene"
    assert placing.municipality_phrase(brussels, "fr") == "la Ville de Bruxelles"
    assert placing.municipality_phrase(brussels, "nl") == "de Stad Brussel"
    assert placing.municipality_phrase(brussels, "en") == "the City of Brussels"


# Staff side ----------------------------------------------------------------------------------

@pytest.fixture
def undecided(app: Flask, client: FlaskClient) -> str:
    for spec in STAFF.values():
        make_user(app, *spec)
    _page, data = choice_page(client, "fr", postal_code="1050")
    assert client.post("/fr/report/new/burglary",
                       data={**data, "municipality": "unknown"}).status_code == 303
    return reports(app)[0].reference


def staff_client(app: Flask, who: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, STAFF[who][0]).status_code == 303
    return client


# The staff access table for such a report: the coordinators' queue and the report's page
QUEUE = "/fr/manage/reports?decide=1"


@pytest.mark.parametrize(("who", "page_status", "listed"), [
    ("ixelles", 404, False), ("brussels", 404, False), ("coordinator", 200, True)])
def test_only_coordinators_see_a_report_to_decide(app: Flask, undecided: str, who: str,
                                                  page_status: int, listed: bool) -> None:
    client = staff_client(app, who)
    assert client.get(f"/fr/manage/reports/{undecided}").status_code == page_status
    for url in (QUEUE, "/fr/manage/reports", "/fr/manage/reports/export.csv"):
        body = client.get(url).get_data(as_text=True)
        assert (undecided in body) == listed, url


def test_a_coordinator_sends_it_on_in_one_step(app: Flask, undecided: str) -> None:
    with app.app_context():
        db.session.add(MunicipalContact(municipality_nis="21009", email="prev@ixelles.example.invalid"))
        db.session.commit()
    coordinator = staff_client(app, "coordinator")
    page = coordinator.get(f"/fr/manage/reports/{undecided}").get_data(as_text=True)
    assert "Commune à déterminer" in page
    response = coordinator.post(f"/fr/manage/reports/{undecided}/transfer", data={
        **action_fields(page, "transfer"), "transfer-municipality": "21009",
        "transfer-reason": "Flagey, d'après la description"})
    assert response.status_code == 303
    [report] = reports(app)
    assert (report.municipality_nis, report.municipality_to_decide) == ("21009", False)
    assert staff_client(app, "ixelles").get(f"/fr/manage/reports/{undecided}").status_code == 200
    assert undecided not in coordinator.get(QUEUE).get_data(as_text=True)
    with app.app_context():
        assert "prev@ixelles.example.invalid" in [
            m.recipient for m in db.session.scalars(select(OutboxMessage))]


def test_open311_stays_valid_for_a_report_to_decide(app: Flask, undecided: str) -> None:
    from portal.api.services import create_key

    with app.app_context():
        _key, raw = create_key("brussels-reader", ("read",), ("21004",))
        db.session.commit()
    response = app.test_client().get(f"/open311/v2/requests.json?api_key={raw}")
    assert response.status_code == 200
    items = response.get_json()
    [item] = [i for i in items if i["service_request_id"] == undecided]
    # Valid against the API's own description: every required field, each pattern matched
    schema = DOCUMENTS["ServiceRequests"][0]["items"]
    assert set(schema["required"]) <= set(item)
    for name, value in item.items():
        pattern = schema["properties"][name].get("pattern")
        assert pattern is None or re.fullmatch(pattern, value), (name, value)
    assert item["agency_nis"] == "04000"
    assert "description" not in item  # a Brussels key does not read a report not yet Brussels'
