"""Discovery, services and service definitions, in JSON and XML, in each language."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from flask.testing import FlaskClient

from tests.api.conftest import API, JURISDICTION, same_document

CATEGORIES = ["school-racket", "transport-pickpocketing", "vehicle-theft", "vandalism",
              "burglary", "other-theft", "other-nuisance"]


@pytest.mark.parametrize("path", ["discovery", "services", "services/vehicle-theft"])
def test_json_and_xml_say_the_same_with_the_right_content_types(client: FlaskClient,
                                                                path: str) -> None:
    as_json = client.get(f"{API}/{path}.json")
    as_xml = client.get(f"{API}/{path}.xml")
    no_suffix = client.get(f"{API}/{path}")
    assert as_json.headers["Content-Type"] == "application/json; charset=utf-8"
    assert no_suffix.headers["Content-Type"] == "application/json; charset=utf-8"
    assert as_xml.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert as_xml.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert no_suffix.get_json() == as_json.get_json()
    same_document(as_json.get_json(), ET.fromstring(as_xml.data))


def test_discovery_names_the_jurisdiction_and_the_endpoint(client: FlaskClient) -> None:
    document = client.get(f"{API}/discovery.json").get_json()
    assert document["jurisdiction_id"] == JURISDICTION
    [endpoint] = document["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://127.0.0.1:5000/open311/v2"
    assert endpoint["formats"] == ["application/json", "text/xml"]
    assert document["contact"] == "prevention@portal.localhost"
    xml = ET.fromstring(client.get(f"{API}/discovery.xml").data)
    assert xml.tag == "discovery"
    assert [f.text for f in xml.findall("endpoints/endpoint/formats/format")] == [
        "application/json", "text/xml"]


@pytest.mark.parametrize(("query", "headers", "name"), [
    ("", {}, "Vol de voiture ou dans une voiture"),
    ("?locale=nl", {}, "Diefstal van of uit een auto"),
    ("?locale=en_GB", {"Accept-Language": "nl"}, "Theft of or from a car"),
    ("", {"Accept-Language": "nl-BE,nl;q=0.9"}, "Diefstal van of uit een auto"),
    ("", {"Accept-Language": "de"}, "Vol de voiture ou dans une voiture"),
    ("?locale=de", {"Accept-Language": "en"}, "Theft of or from a car"),
])
def test_services_speak_the_language_asked_for(client: FlaskClient, query: str,
                                               headers: dict[str, str], name: str) -> None:
    services = client.get(f"{API}/services.json{query}", headers=headers).get_json()
    assert [s["service_code"] for s in services] == CATEGORIES
    vehicle = services[2]
    assert vehicle["service_name"] == name
    assert vehicle["metadata"] is True and vehicle["type"] == "realtime"
    assert "theft" in vehicle["keywords"].split(",")


def test_service_groups(client: FlaskClient) -> None:
    groups = {s["service_code"]: s["group"] for s in client.get(f"{API}/services.json").get_json()}
    assert groups["burglary"] == groups["vehicle-theft"] == groups["transport-pickpocketing"]
    assert groups["vandalism"] == groups["school-racket"] != groups["burglary"]


#: The questions answered by choosing (the registry's CHOICE kind).
CHOICES = {"line_type", "theft_kind", "vehicle_kind", "author_known", "stolen", "violence"}


@pytest.mark.parametrize(("code", "questions"), [
    ("school-racket", ["postal_code", "school"]),
    ("transport-pickpocketing", ["postal_code", "time_from", "time_to", "line_type", "line", "stop",
                                 "violence"]),
    ("vehicle-theft", ["postal_code", "theft_kind", "vehicle_kind", "make", "colour", "plate",
                       "police_declaration", "violence"]),
    ("vandalism", ["postal_code", "author_known", "violence"]),
    ("other-theft", ["postal_code", "stolen", "violence"]),
    ("burglary", ["postal_code"]),
])
def test_definitions_ask_the_category_questions(client: FlaskClient, code: str,
                                                questions: list[str]) -> None:
    definition = client.get(f"{API}/services/{code}.json?locale=en").get_json()
    assert definition["service_code"] == code
    attributes = definition["attributes"]
    assert [a["code"] for a in attributes] == questions
    assert [a["order"] for a in attributes] == list(range(1, len(questions) + 1))
    assert all(a["variable"] is True and a["required"] is False for a in attributes)
    for attribute in attributes:
        if attribute["code"] == "police_declaration":
            assert attribute["datatype"] == "singlevaluelist"
            assert attribute["values"] == [{"key": "yes", "name": "Yes"},
                                           {"key": "no", "name": "No"},
                                           {"key": "not_yet", "name": "Not yet"}]
        elif attribute["code"] in CHOICES:
            assert attribute["datatype"] == "singlevaluelist" and attribute["values"]
        else:
            assert attribute["datatype"] == "string" and "values" not in attribute
    if code == "transport-pickpocketing":
        assert attributes[1]["description"] == "Time window: from"
        assert attributes[4]["description"] == "Line number"


def test_definition_values_in_xml(client: FlaskClient) -> None:
    xml = ET.fromstring(client.get(f"{API}/services/vehicle-theft.xml").data)
    assert xml.tag == "service_definition"
    declaration = [a for a in xml.findall("attributes/attribute")
                   if a.findtext("code") == "police_declaration"]
    assert [v.findtext("key") for v in declaration[0].findall("values/value")] == [
        "yes", "no", "not_yet"]
    assert declaration[0].findtext("variable") == "true"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_is_a_404_error_list(client: FlaskClient, fmt: str) -> None:
    response = client.get(f"{API}/services/potholes.{fmt}")
    assert response.status_code == 404
    if fmt == "json":
        [error] = response.get_json()
    else:
        [node] = ET.fromstring(response.data).findall("error")
        error = {"code": int(node.findtext("code") or 0), "description": node.findtext("description")}
    assert error["code"] == 404 and "potholes" in error["description"]


@pytest.mark.parametrize("jurisdiction", ["", JURISDICTION])
def test_empty_or_own_jurisdiction_is_accepted(client: FlaskClient, jurisdiction: str) -> None:
    assert client.get(f"{API}/services.json?jurisdiction_id={jurisdiction}").status_code == 200


def test_other_jurisdiction_is_a_400(client: FlaskClient) -> None:
    response = client.get(f"{API}/services.xml?jurisdiction_id=chicago.il")
    assert response.status_code == 400
    description = ET.fromstring(response.data).findtext("error/description")
    assert description and "jurisdiction_id" in description and JURISDICTION in description


def test_openapi_document(client: FlaskClient) -> None:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.data)
    assert document["openapi"].startswith("3.")
    assert f"{API}/requests.xml" in document["paths"]
    service_code = document["paths"][f"{API}/services/{{service_code}}.json"]["get"]["parameters"][0]
    assert service_code["schema"]["enum"] == CATEGORIES
