"""Fixtures of the Open311 API tests: partner keys, reports in place, a real HTTP server."""
from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from portal.db import utcnow
from portal.extensions import db

API = "/open311/v2"
JURISDICTION = "brussels.prevention"
#: Places whose municipality is known (a point and its postal code agree).
FLAGEY_IXELLES = {"lat": "50.8275", "long": "4.3720", "address_string": "Place Flagey 18, 1050 Ixelles"}
PARVIS_SAINT_GILLES = {"lat": "50.8317", "long": "4.3447", "attribute[postal_code]": "1060",
                       "address_string": "Parvis de Saint-Gilles 1"}
JOURDAN_ETTERBEEK = {"lat": "50.8365", "long": "4.3826", "address_string": "Place Jourdan 1, 1040"}


@dataclass
class Key:
    name: str
    raw: str


@pytest.fixture
def make_key(app: Flask) -> Callable[..., Key]:
    """Make a partner key through the service the CLI uses."""
    from portal.api.services import create_key

    def make(name: str, scopes: tuple[str, ...] = ("submit",),
             municipalities: tuple[str, ...] = ()) -> Key:
        with app.app_context():
            _key, raw = create_key(name, scopes, municipalities)
            db.session.commit()
        return Key(name, raw)

    return make


@pytest.fixture
def submitter(make_key: Callable[..., Key]) -> Key:
    return make_key("app-submit", ("submit",))


@pytest.fixture
def ixelles_reader(make_key: Callable[..., Key]) -> Key:
    """A partner of Ixelles: may file, and may read Ixelles' requests in full."""
    return make_key("ixelles", ("submit", "read"), ("21009",))


def backdate(app: Flask, reference: str, days: float, status: str | None = None) -> None:
    """Move a report's creation back in time (and set its status), as time and staff would."""
    from sqlalchemy import select

    from portal.reports.models import Report

    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.reference == reference))
        assert report is not None
        report.created_at = report.updated_at = utcnow() - timedelta(days=days)
        if status is not None:
            report.status = status
        db.session.commit()


def file_report(client: Any, key: Key, fmt: str = "json", **fields: str) -> str:
    """POST a valid report (vandalism at Flagey unless told otherwise); returns its id."""
    data = {"api_key": key.raw, "service_code": "vandalism",
            "description": "Graffiti on the bus shelter", **FLAGEY_IXELLES, **fields}
    response = client.post(f"{API}/requests.{fmt}", data=data)
    assert response.status_code == 200, response.get_data(as_text=True)
    if fmt == "xml":
        return ET.fromstring(response.data).findtext("request/service_request_id")
    return response.get_json()[0]["service_request_id"]


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The portal served over real HTTP on a free port of 127.0.0.1; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def parse_moment(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    assert value.tzinfo is not None, text
    return value


def same_document(data: Any, element: ET.Element) -> None:
    """The XML says exactly what the JSON says: lists as repeated children, true/false, text."""
    if isinstance(data, list):
        assert len(element) == len(data), (element.tag, len(element), len(data))
        for item, child in zip(data, element, strict=True):
            same_document(item, child)
    elif isinstance(data, dict):
        assert [child.tag for child in element] == list(data), (element.tag, list(data))
        for child in element:
            same_document(data[child.tag], child)
    else:
        expected = ("true" if data else "false") if isinstance(data, bool) else str(data)
        assert (element.text or "") == expected, (element.tag, element.text, expected)
