"""GET requests: filters, paging, the public view and what a partner's key may read."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.db import utcnow
from tests.api.conftest import (
    API,
    PARVIS_SAINT_GILLES,
    Key,
    backdate,
    file_report,
    parse_moment,
    same_document,
)

PUBLIC_FIELDS = {"service_request_id", "status", "service_name", "service_code",
                 "agency_responsible", "agency_nis", "requested_datetime", "updated_datetime",
                 "zipcode", "lat", "long"}
SECRET = "Le fils Dupont me prend mon GSM devant l'école"


@pytest.fixture
def two_reports(client: FlaskClient, ixelles_reader: Key) -> tuple[str, str]:
    """One report in Ixelles, one in Saint-Gilles, both with private details."""
    ixelles = file_report(client, ixelles_reader, description=SECRET, email="kid@example.be",
                          phone="0470 00 00 00", service_code="school-racket",
                          **{"attribute[school]": "Athénée"})
    saint_gilles = file_report(client, ixelles_reader, description=SECRET, **PARVIS_SAINT_GILLES)
    return ixelles, saint_gilles


def by_id(items: list[dict]) -> dict[str, dict]:  # type: ignore[type-arg]
    return {item["service_request_id"]: item for item in items}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_public_sees_no_words_and_a_coarse_position(client: FlaskClient,
                                                        two_reports: tuple[str, str],
                                                        fmt: str) -> None:
    response = client.get(f"{API}/requests.{fmt}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    for private in (SECRET, "kid@example.be", "0470", "Flagey", "Athénée", "Parvis", "media"):
        assert private not in body
    items = by_id(client.get(f"{API}/requests.json").get_json())
    assert set(items) == set(two_reports)
    ixelles = items[two_reports[0]]
    assert set(ixelles) == PUBLIC_FIELDS
    assert (ixelles["lat"], ixelles["long"]) == (50.828, 4.371)  # 50.8275, 4.3720 on the grid
    assert ixelles["zipcode"] == "1050" and ixelles["status"] == "open"
    assert (ixelles["agency_responsible"], ixelles["agency_nis"]) == ("Ixelles", "21009")
    assert parse_moment(ixelles["requested_datetime"]) <= parse_moment(ixelles["updated_datetime"])
    if fmt == "xml":
        root = ET.fromstring(response.data)
        assert root.tag == "service_requests" and {r.tag for r in root} == {"request"}


def test_a_reader_sees_its_municipality_in_full_and_the_others_as_public(
        client: FlaskClient, two_reports: tuple[str, str], ixelles_reader: Key) -> None:
    items = by_id(client.get(f"{API}/requests.json?api_key={ixelles_reader.raw}").get_json())
    ixelles, saint_gilles = items[two_reports[0]], items[two_reports[1]]
    assert set(ixelles) == PUBLIC_FIELDS | {"description", "address"}
    assert ixelles["description"] == SECRET
    assert ixelles["address"] == "Place Flagey 18, 1050 Ixelles"
    assert (ixelles["lat"], ixelles["long"]) == (50.8275, 4.372)
    assert "kid@example.be" not in str(ixelles) and "0470" not in str(ixelles)
    assert set(saint_gilles) == PUBLIC_FIELDS
    assert (saint_gilles["lat"], saint_gilles["long"]) == (50.832, 4.344)


def test_a_key_without_read_scope_sees_the_public_view(client: FlaskClient,
                                                       two_reports: tuple[str, str],
                                                       submitter: Key) -> None:
    items = client.get(f"{API}/requests.json?api_key={submitter.raw}").get_json()
    assert all(set(item) == PUBLIC_FIELDS for item in items)


def test_a_wrong_or_revoked_key_is_refused(app: Flask, client: FlaskClient,
                                           ixelles_reader: Key) -> None:
    assert client.get(f"{API}/requests.json?api_key=bxp_nope").status_code == 403
    app.test_cli_runner().invoke(args=["portal", "apikey", "revoke", "ixelles"])
    response = client.get(f"{API}/requests.xml?api_key={ixelles_reader.raw}")
    assert response.status_code == 403
    assert ET.fromstring(response.data).findtext("error/code") == "403"


def test_one_request_is_a_list_of_one(client: FlaskClient, two_reports: tuple[str, str],
                                      ixelles_reader: Key) -> None:
    reference = two_reports[0]
    [item] = client.get(f"{API}/requests/{reference}.json").get_json()
    assert item["service_request_id"] == reference and "description" not in item
    [item] = client.get(f"{API}/requests/{reference.lower()}.json"
                        f"?api_key={ixelles_reader.raw}&locale=nl").get_json()
    assert item["description"] == SECRET and item["agency_responsible"] == "Elsene"
    xml = client.get(f"{API}/requests/{reference}.xml")
    same_document(client.get(f"{API}/requests/{reference}.json").get_json(),
                  ET.fromstring(xml.data))
    missing = client.get(f"{API}/requests/BX-2222-2222.xml")
    assert missing.status_code == 404
    assert "BX-2222-2222" in (ET.fromstring(missing.data).findtext("error/description") or "")


@pytest.mark.parametrize(("lang", "name"), [("fr", "Ixelles"), ("nl", "Elsene"),
                                            ("en", "Ixelles")])
def test_agency_in_the_language_asked(client: FlaskClient, two_reports: tuple[str, str],
                                      lang: str, name: str) -> None:
    by_locale = by_id(client.get(f"{API}/requests.json?locale={lang}").get_json())
    by_header = by_id(client.get(f"{API}/requests.json",
                                 headers={"Accept-Language": lang}).get_json())
    assert by_locale[two_reports[0]]["agency_responsible"] == name
    assert by_header[two_reports[0]]["agency_responsible"] == name


def test_filters(app: Flask, client: FlaskClient, submitter: Key) -> None:
    old = file_report(client, submitter)
    closed = file_report(client, submitter, service_code="burglary")
    recent = file_report(client, submitter, service_code="burglary")
    ancient = file_report(client, submitter)
    backdate(app, old, 30, status="in_progress")
    backdate(app, closed, 10, status="referred")
    backdate(app, ancient, 200, status="resolved")

    def ids(query: str) -> list[str]:
        response = client.get(f"{API}/requests.json?{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return [item["service_request_id"] for item in response.get_json()]

    assert ids("") == [recent, closed, old]  # the last 90 days, newest first
    assert ids("status=open") == [recent, old]
    assert ids("status=closed") == [closed]
    assert ids("status=open,closed") == [recent, closed, old]
    assert ids("service_code=burglary") == [recent, closed]
    assert ids("service_code=vandalism,burglary&status=closed") == [closed]
    start = quote((utcnow() - timedelta(days=20)).isoformat())
    assert ids(f"start_date={start}") == [recent, closed]
    end = quote((utcnow() - timedelta(days=5)).isoformat())
    assert ids(f"end_date={end}") == [closed, old]
    assert ids(f"start_date={quote((utcnow() - timedelta(days=250)).date().isoformat())}") == [ancient]
    # ids override every other filter, even the window
    assert ids(f"service_request_id={ancient},{recent}&status=open&service_code=burglary") == [
        recent, ancient]
    assert ids("page_size=2") == [recent, closed]
    assert ids("page_size=2&page=2") == [old]
    assert ids("page_size=2&page=3") == []
    assert [item["status"] for item in client.get(f"{API}/requests.json").get_json()] == [
        "open", "closed", "open"]


@pytest.mark.parametrize(("query", "field"), [
    ("start_date=yesterday", "start_date"),
    ("end_date=2026-13-01", "end_date"),
    ("start_date=2025-01-01T00:00:00Z&end_date=2025-06-01T00:00:00Z", "end_date"),
    ("start_date=2025-06-01&end_date=2025-01-01", "start_date"),
    ("status=pending", "status"),
    ("page=0", "page"),
    ("page=two", "page"),
    ("page_size=1001", "page_size"),
    ("page_size=-1", "page_size"),
    ("start_date=0001-01-01", "start_date"),
])
def test_bad_filters_are_400_naming_the_parameter(client: FlaskClient, query: str,
                                                  field: str) -> None:
    response = client.get(f"{API}/requests.json?{query}")
    assert response.status_code == 400
    [error] = response.get_json()
    assert error["code"] == 400 and error["description"].startswith(f"{field}: ")


def test_an_unencoded_plus_in_a_date_is_understood(client: FlaskClient, submitter: Key) -> None:
    reference = file_report(client, submitter)
    start = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    response = client.get(f"{API}/requests.json?start_date={start}")  # "+" arrives as a space
    assert response.status_code == 200
    assert [item["service_request_id"] for item in response.get_json()] == [reference]


def test_xml_carries_any_text_a_resident_typed(client: FlaskClient, ixelles_reader: Key) -> None:
    reference = file_report(client, ixelles_reader, description="Tags\x01 <b>&amp; \U0001f600")
    response = client.get(f"{API}/requests/{reference}.xml?api_key={ixelles_reader.raw}")
    item = ET.fromstring(response.data).find("request")  # well-formed despite the control code
    assert item is not None
    assert item.findtext("description") == "Tags\ufffd <b>&amp; \U0001f600"
