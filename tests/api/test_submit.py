"""POST requests: the web form's checks, routing, storage and e-mails, for partners with a key."""
from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from portal.extensions import db
from portal.notify.models import OutboxMessage
from portal.reports.models import Report, ReportPhoto
from portal.reports.photos import reencode
from portal.reports.services import REFERENCE_PATTERN, brussels_now
from tests.accounts.served import TIMEOUT_S, race
from tests.api.conftest import (
    API,
    FLAGEY_IXELLES,
    JOURDAN_ETTERBEEK,
    JURISDICTION,
    PARVIS_SAINT_GILLES,
    Key,
)
from tests.outbox import rendered
from tests.reports.helpers import database_is_free, jpeg_with_gps


def stored(app: Flask) -> list[Report]:
    with app.app_context():
        reports = list(db.session.scalars(select(Report).order_by(Report.id)))
        for report in reports:
            _ = report.photos
        db.session.expunge_all()
        return reports


def errors_of(response) -> list[str]:  # type: ignore[no-untyped-def]
    if response.headers["Content-Type"].startswith("text/xml"):
        root = ET.fromstring(response.data)
        assert root.tag == "errors"
        codes = {int(e.findtext("code") or 0) for e in root.findall("error")}
        assert codes == {response.status_code}
        return [e.findtext("description") or "" for e in root.findall("error")]
    body = response.get_json()
    assert isinstance(body, list) and {e["code"] for e in body} == {response.status_code}
    return [e["description"] for e in body]


def post(client: FlaskClient, key: Key | None, fmt: str = "json", query: str = "",
         **fields: str):  # type: ignore[no-untyped-def]
    data = {"service_code": "vandalism", "description": "Graffiti on the bus shelter",
            **FLAGEY_IXELLES, **fields}
    if key is not None and "api_key" not in fields:
        data["api_key"] = key.raw
    return client.post(f"{API}/requests.{fmt}{query}", data={k: v for k, v in data.items() if v is not None})


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_partner_files_a_report_like_the_web_form(app: Flask, client: FlaskClient,
                                                    submitter: Key, fmt: str) -> None:
    response = post(client, submitter, fmt, email="resident@example.be", phone="0470 12 34 56",
                    first_name="Ann", last_name="Peeters")
    assert response.status_code == 200, response.get_data(as_text=True)
    if fmt == "json":
        [answer] = response.get_json()
        assert set(answer) == {"service_request_id", "service_notice"}
        reference, notice = answer["service_request_id"], answer["service_notice"]
    else:
        root = ET.fromstring(response.data)
        assert root.tag == "service_requests" and len(root) == 1
        reference = root.findtext("request/service_request_id")
        notice = root.findtext("request/service_notice")
        assert root.find("request/token") is None
    [report] = stored(app)
    assert REFERENCE_PATTERN.match(reference) and report.reference == reference
    assert (report.source, report.language, report.municipality_nis) == ("open311", "fr", "21009")
    assert report.postal_code == "1050" and report.street == "Place Flagey 18, 1050 Ixelles"
    assert (report.latitude, report.longitude) == (50.8275, 4.372)
    assert report.occurred_on == brussels_now().date()
    assert report.email == "resident@example.be" and report.phone == "0470 12 34 56"
    assert "Ann" not in repr(report.__dict__)  # names are not kept
    assert reference in notice and "Ixelles" in notice and "112" in notice
    with app.app_context():
        [message] = map(rendered, db.session.scalars(select(OutboxMessage)))
        assert message.recipient == "resident@example.be" and reference in message.body


def test_key_in_the_query_string_and_localized_notice(app: Flask, client: FlaskClient,
                                                      submitter: Key) -> None:
    response = post(client, None, query=f"?api_key={submitter.raw}&locale=nl")
    assert response.status_code == 200
    [answer] = response.get_json()
    assert "Elsene" in answer["service_notice"]  # the municipality in the language asked for
    [report] = stored(app)
    assert report.language == "nl"


@pytest.mark.parametrize("jurisdiction", ["", JURISDICTION])
def test_empty_or_own_jurisdiction(client: FlaskClient, submitter: Key, jurisdiction: str) -> None:
    assert post(client, submitter, jurisdiction_id=jurisdiction).status_code == 200


def test_other_jurisdiction_is_refused(app: Flask, client: FlaskClient, submitter: Key) -> None:
    response = post(client, submitter, jurisdiction_id="brussels.city")
    assert response.status_code == 400
    assert "jurisdiction_id" in errors_of(response)[0]
    assert stored(app) == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_keys_are_checked(app: Flask, client: FlaskClient, make_key: Callable[..., Key],
                          fmt: str) -> None:
    reader = make_key("reader", ("read",), ("21009",))
    revoked = make_key("old", ("submit",))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["portal", "apikey", "revoke", "old"]).exit_code == 0
    for key, status in [(None, 403), (Key("forged", "bxp_" + "A" * 43), 403), (revoked, 403),
                        (reader, 403)]:
        response = post(client, key, fmt)
        assert response.status_code == status
        [description] = errors_of(response)
        assert description.startswith("api_key: ")
    assert stored(app) == []


def test_unknown_or_missing_service(app: Flask, client: FlaskClient, submitter: Key) -> None:
    response = post(client, submitter, service_code="potholes")
    assert response.status_code == 404
    assert "potholes" in errors_of(response)[0]
    response = post(client, submitter, service_code="")
    assert response.status_code == 400 and errors_of(response)[0].startswith("service_code: ")


def test_validation_errors_name_the_fields_in_the_language_asked(app: Flask, client: FlaskClient,
                                                                  submitter: Key) -> None:
    response = post(client, submitter, "xml", query="?locale=nl", description=" ",
                    email="not-an-address", lat="north", occurred_on="yesterday")
    assert response.status_code == 400
    problems = errors_of(response)
    assert [p.split(":")[0] for p in problems] == ["lat/long", "occurred_on"]
    response = post(client, submitter, "json", query="?locale=nl", description=" ",
                    email="not-an-address", **{"attribute[postal_code]": "10"},
                    address_string="", lat="", long="")
    problems = dict(p.split(": ", 1) for p in errors_of(response))
    assert set(problems) == {"description", "attribute[postal_code]", "email"}
    assert problems["description"] == "Beschrijf wat er gebeurd is."
    assert stored(app) == []


def test_future_date_of_the_facts(client: FlaskClient, submitter: Key) -> None:
    response = post(client, submitter, occurred_on="2999-01-01")
    assert response.status_code == 400
    assert errors_of(response)[0].startswith("occurred_on: ")


def test_date_of_the_facts_extension(app: Flask, client: FlaskClient, submitter: Key) -> None:
    assert post(client, submitter, occurred_on="2026-11-01").status_code == 200
    assert post(client, submitter, occurred_on="2026-11-02T07:30:00Z").status_code == 200
    first, second = stored(app)
    assert first.occurred_on == date(2026, 11, 1) and first.occurred_at_time is None
    assert second.occurred_on == date(2026, 11, 2)
    assert second.occurred_at_time is not None and second.occurred_at_time.hour == 8  # Brussels


def test_category_questions_are_attributes(app: Flask, client: FlaskClient, submitter: Key) -> None:
    response = post(client, submitter, service_code="vehicle-theft", **{
        "attribute[make]": "VW Polo", "attribute[colour]": "rouge",
        "attribute[police_declaration]": "not_yet", "attribute[school]": "ignored here"})
    assert response.status_code == 200
    [report] = stored(app)
    assert report.details == {"make": "VW Polo", "colour": "rouge", "police_declaration": "not_yet"}
    response = post(client, submitter, service_code="vehicle-theft",
                    **{"attribute[police_declaration]": "maybe"})
    assert response.status_code == 400
    assert errors_of(response)[0].startswith("attribute[police_declaration]: ")


def test_postal_code_from_the_attribute_or_the_address(app: Flask, client: FlaskClient,
                                                       submitter: Key) -> None:
    assert post(client, submitter, **PARVIS_SAINT_GILLES).status_code == 200
    only_address = {"lat": None, "long": None, "address_string": "Rue de la Loi 16, 1000 Bruxelles"}
    assert post(client, submitter, **only_address).status_code == 200
    saint_gilles, city = stored(app)
    assert (saint_gilles.postal_code, saint_gilles.municipality_nis) == ("1060", "21013")
    assert (city.postal_code, city.municipality_nis, city.latitude) == ("1000", "21004", None)


def test_a_point_without_postal_code_is_not_enough(app: Flask, client: FlaskClient,
                                                   submitter: Key) -> None:
    response = post(client, submitter, address_string="")
    assert response.status_code == 400
    assert errors_of(response)[0].startswith("attribute[postal_code]: ")


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_a_code_shared_by_two_municipalities_names_both(app: Flask, client: FlaskClient,
                                                        submitter: Key, lang: str) -> None:
    response = post(client, submitter, query=f"?locale={lang}", lat=None, long=None,
                    address_string="Avenue d'Auderghem 10, 1040")
    assert response.status_code == 400
    [description] = errors_of(response)
    assert "21004" in description and "21005" in description
    assert {"fr": "Bruxelles (21004)", "nl": "Brussel (21004)", "en": "City of Brussels (21004)"}[lang] in description
    assert "agency_nis" in description
    # The partner asks the resident, and sends the choice.
    response = post(client, submitter, lat=None, long=None, agency_nis="21005",
                    address_string="Avenue d'Auderghem 10, 1040")
    assert response.status_code == 200
    [report] = stored(app)
    assert report.municipality_nis == "21005"


def test_a_point_settles_a_shared_code(app: Flask, client: FlaskClient, submitter: Key) -> None:
    assert post(client, submitter, **JOURDAN_ETTERBEEK).status_code == 200
    [report] = stored(app)
    assert report.municipality_nis == "21005"


def test_outside_the_region(app: Flask, client: FlaskClient, submitter: Key) -> None:
    response = post(client, submitter, lat=None, long=None, address_string="Grand-Place 1, 7000 Mons")
    assert response.status_code == 400
    [description] = errors_of(response)
    assert "Brussels-Capital Region" in description or "Région de Bruxelles-Capitale" in description
    assert stored(app) == []


def test_postal_code_and_point_that_disagree(app: Flask, client: FlaskClient, submitter: Key) -> None:
    response = post(client, submitter, query="?locale=en",
                    **{**FLAGEY_IXELLES, "address_string": "Place Flagey 18, 1180"})
    assert response.status_code == 400
    [description] = errors_of(response)
    assert "Uccle" in description and "Ixelles" in description
    assert stored(app) == []


def photo(fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, format=fmt)
    return out.getvalue()


def test_multipart_with_photos(app: Flask, client: FlaskClient, submitter: Key) -> None:
    data = {"api_key": submitter.raw, "service_code": "vandalism", "description": "Broken window",
            **FLAGEY_IXELLES,
            "media": [(io.BytesIO(jpeg_with_gps()), "phone.jpg"), (io.BytesIO(photo()), "b.png")]}
    response = client.post(f"{API}/requests.json", data=data, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)
    [report] = stored(app)
    assert len(report.photos) == 2
    from portal.reports.uploads import store

    with app.test_request_context():
        path = store().path(report.photos[0].filename)
        assert path.is_file()
        with Image.open(path) as image:
            assert image.format == "JPEG" and not image.getexif()


def test_photos_are_reencoded_without_holding_the_database(app: Flask, client: FlaskClient,
                                                          submitter: Key, monkeypatch) -> None:
    from portal.reports import uploads

    seen: list[bool] = []

    def watched(stream):  # type: ignore[no-untyped-def]
        seen.append(database_is_free())
        return reencode(stream)

    monkeypatch.setattr(uploads, "reencode", watched)
    data = {"api_key": submitter.raw, "service_code": "vandalism", "description": "Broken window",
            **FLAGEY_IXELLES, "media": [(io.BytesIO(jpeg_with_gps()), "phone.jpg")]}
    response = client.post(f"{API}/requests.json", data=data, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert seen == [True] and len(stored(app)[0].photos) == 1


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_bad_photo_is_a_400_and_nothing_is_kept(app: Flask, client: FlaskClient,
                                                  submitter: Key, fmt: str) -> None:
    data = {"api_key": submitter.raw, "service_code": "vandalism", "description": "x",
            **FLAGEY_IXELLES,
            "media": [(io.BytesIO(photo()), "ok.png"), (io.BytesIO(b"%PDF-1.4 no"), "doc.pdf")]}
    response = client.post(f"{API}/requests.{fmt}", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert errors_of(response)[0].startswith("media: ")
    assert stored(app) == []
    with app.app_context():
        assert db.session.scalar(select(func.count(ReportPhoto.id))) == 0
    assert list(Path(app.config["UPLOAD_DIR"]).glob("*.jpg")) == []


def test_photos_of_a_refused_report_are_removed(app: Flask, client: FlaskClient,
                                                submitter: Key) -> None:
    data = {"api_key": submitter.raw, "service_code": "vandalism", "description": "",
            **FLAGEY_IXELLES, "media": [(io.BytesIO(photo()), "ok.png")]}
    response = client.post(f"{API}/requests.json", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert list(Path(app.config["UPLOAD_DIR"]).glob("*.jpg")) == []


def test_idempotency_key_files_one_report(app: Flask, client: FlaskClient, submitter: Key,
                                          make_key: Callable[..., Key]) -> None:
    other = make_key("other-app", ("submit",))
    data = {"service_code": "vandalism", "description": "Tags", **FLAGEY_IXELLES}
    first = client.post(f"{API}/requests.json", data={**data, "api_key": submitter.raw},
                        headers={"Idempotency-Key": "abc-1"})
    again = client.post(f"{API}/requests.json", data={**data, "api_key": submitter.raw},
                        headers={"Idempotency-Key": "abc-1"})
    theirs = client.post(f"{API}/requests.json", data={**data, "api_key": other.raw},
                         headers={"Idempotency-Key": "abc-1"})
    ids = [r.get_json()[0]["service_request_id"] for r in (first, again, theirs)]
    assert ids[0] == ids[1] != ids[2]
    assert len(stored(app)) == 2


def test_the_same_idempotency_key_at_once_keeps_the_first_reports_photos_only(
        app: Flask, live_server: str, submitter: Key) -> None:
    """Overlapping retries of one request: one report, its photo kept, the others' removed."""
    data = {"api_key": submitter.raw, "service_code": "vandalism", "description": "Tags",
            **FLAGEY_IXELLES}

    def retry() -> requests.Response:
        return requests.post(f"{live_server}{API}/requests.json", data=data,
                             files={"media": ("m.png", photo(), "image/png")},
                             headers={"Idempotency-Key": "abc-2"}, timeout=TIMEOUT_S)

    answers = race([retry] * 4)
    assert {response.status_code for response in answers} == {200}
    assert len({response.json()[0]["service_request_id"] for response in answers}) == 1
    [report] = stored(app)
    [kept] = [photo.filename for photo in report.photos]
    assert [path.name for path in Path(app.config["UPLOAD_DIR"]).glob("*.jpg")] == [kept]


def test_json_body_is_not_a_form(app: Flask, client: FlaskClient, submitter: Key) -> None:
    response = client.post(f"{API}/requests.json?api_key={submitter.raw}",
                           json={"service_code": "vandalism", "description": "x"})
    assert response.status_code == 400
    assert errors_of(response)[0].startswith("service_code: ")
