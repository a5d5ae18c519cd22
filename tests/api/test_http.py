"""Over real HTTP: the portal served on a socket, a published Open311 client library unchanged,
and a raw client for what that library does not do (filing a report with a photo)."""
from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest
import requests
from flask import Flask
from georeport import GeoReport

from tests.api.conftest import API, FLAGEY_IXELLES, JURISDICTION, Key
from tests.reports.helpers import jpeg_with_gps

#: Only stops a hung test: a busy machine (a load average of 10 on 2 cores) answers slowly.
TIMEOUT_S = 120


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_published_client_lists_services_reads_a_definition_and_requests(
        live_server: str, make_key: Callable[..., Key], fmt: str) -> None:
    key = make_key("partner", ("submit", "read"), ("21009",))
    filed = []
    for description in ("Tags on the shelter", "Broken bench"):
        response = requests.post(f"{live_server}{API}/requests.json", timeout=TIMEOUT_S, data={
            "api_key": key.raw, "service_code": "vandalism", "description": description,
            **FLAGEY_IXELLES})
        assert response.status_code == 200, response.text
        filed.append(response.json()[0]["service_request_id"])

    client = GeoReport(f"{live_server}{API}", jurisdiction=JURISDICTION, output_format=fmt)
    services = client.get_service_list()
    assert [s["service_code"] for s in services][:3] == [
        "school-racket", "transport-pickpocketing", "vehicle-theft"]
    assert services[3]["service_name"] == "Vandalisme et dégradations"
    assert str(services[3]["metadata"]).lower() == "true"

    definition = client.get_service_definition("vehicle-theft")
    attributes = definition["attributes"]
    if fmt == "xml":  # xmltodict: the list sits under its item element
        attributes = attributes["attribute"]
    assert [a["code"] for a in attributes] == ["postal_code", "theft_kind", "vehicle_kind", "make",
                                              "colour", "plate", "police_declaration", "violence"]

    requested = client.get_service_requests(status="open", service_code="vandalism")
    assert {r["service_request_id"] for r in requested} == set(filed)
    assert all(r["status"] == "open" and r["zipcode"] == "1050" for r in requested)
    assert all("description" not in r for r in requested)  # the library sends no key: public view

    one = client.get_service_request(filed[0])
    assert one["service_request_id"] == filed[0]
    assert one["agency_responsible"] == "Ixelles" and "description" not in one
    assert float(one["lat"]) == 50.828 and float(one["long"]) == 4.371


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_raw_client_files_a_report_with_a_photo_then_reads_it_with_its_key(
        app: Flask, live_server: str, make_key: Callable[..., Key], fmt: str) -> None:
    key = make_key("partner", ("submit", "read"), ("21009",))
    response = requests.post(
        f"{live_server}{API}/requests.{fmt}", params={"api_key": key.raw, "locale": "nl"},
        data={"jurisdiction_id": JURISDICTION, "service_code": "vehicle-theft",
              "description": "Ruit ingeslagen", "attribute[police_declaration]": "yes",
              **FLAGEY_IXELLES},
        files={"media": ("car.jpg", io.BytesIO(jpeg_with_gps()), "image/jpeg")}, timeout=TIMEOUT_S)
    assert response.status_code == 200, response.text
    if fmt == "xml":
        assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
        root = ET.fromstring(response.content)
        assert root.tag == "service_requests"
        [request] = root.findall("request")
        reference = request.findtext("service_request_id")
        notice = request.findtext("service_notice") or ""
    else:
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        [answer] = response.json()
        reference, notice = answer["service_request_id"], answer["service_notice"]
    assert reference and "Elsene" in notice

    from portal.reports.services import find_by_reference

    with app.app_context():
        report = find_by_reference(reference)
        assert report is not None and len(report.photos) == 1 and report.language == "nl"
        assert report.details == {"police_declaration": "yes"}

    read = requests.get(f"{live_server}{API}/requests/{reference}.{fmt}",
                        params={"api_key": key.raw}, timeout=TIMEOUT_S)
    assert read.status_code == 200
    if fmt == "xml":
        item = ET.fromstring(read.content).find("request")
        assert item is not None
        assert item.findtext("description") == "Ruit ingeslagen"
        assert item.find("media_url") is None
    else:
        [item] = read.json()
        assert item["description"] == "Ruit ingeslagen" and "media_url" not in item


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_errors_over_http(live_server: str, fmt: str) -> None:
    response = requests.post(f"{live_server}{API}/requests.{fmt}", timeout=TIMEOUT_S,
                             data={"service_code": "vandalism", "description": "x"})
    assert response.status_code == 403
    if fmt == "xml":
        root = ET.fromstring(response.content)
        assert root.tag == "errors" and root.findtext("error/code") == "403"
    else:
        assert response.json()[0]["code"] == 403
    missing = requests.get(f"{live_server}{API}/requests/BX-2222-2222.{fmt}", timeout=TIMEOUT_S)
    assert missing.status_code == 404
    assert missing.headers["Content-Type"].startswith(
        "text/xml" if fmt == "xml" else "application/json")
