"""Every answer under /open311/ is an Open311 document: errors too, never an HTML page."""
from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError

from tests.api.conftest import API, Key


def error_list(response) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    content_type = response.headers["Content-Type"]
    assert "html" not in content_type and b"<html" not in response.data.lower()
    if content_type == "text/xml; charset=utf-8":
        root = ET.fromstring(response.data)
        assert root.tag == "errors"
        return [{"code": int(e.findtext("code") or 0), "description": e.findtext("description")}
                for e in root]
    assert content_type == "application/json; charset=utf-8"
    return response.get_json()


@pytest.mark.parametrize(("method", "path", "status", "fmt"), [
    ("GET", "/open311/", 404, "json"),
    ("GET", "/open311/v1/services.json", 404, "json"),
    ("GET", f"{API}/services.csv", 404, "json"),
    ("GET", f"{API}/nothing.xml", 404, "xml"),
    ("GET", f"{API}/services/vandalism/extra.xml", 404, "xml"),
    ("DELETE", f"{API}/requests.json", 405, "json"),
    ("PUT", f"{API}/services.xml", 405, "xml"),
    ("POST", f"{API}/services/vandalism.xml", 405, "xml"),
    ("POST", f"{API}/tokens/abc.json", 405, "json"),
    ("GET", f"{API}/tokens/abc.json", 404, "json"),
    ("GET", f"{API}/tokens/abc.xml", 404, "xml"),
    ("GET", f"{API}/tokens/abc", 404, "json"),
])
def test_errors_are_open311_lists(client: FlaskClient, method: str, path: str, status: int,
                                  fmt: str) -> None:
    response = client.open(path, method=method)
    assert response.status_code == status
    [error] = error_list(response)
    assert error["code"] == status and error["description"]
    assert response.headers["Content-Type"].startswith(
        "text/xml" if fmt == "xml" else "application/json")
    if status == 405:
        assert "GET" in response.headers["Allow"]


def test_tokens_explain_why_they_are_unknown(client: FlaskClient) -> None:
    [error] = client.get(f"{API}/tokens/12345.json").get_json()
    assert "service_request_id" in error["description"]


def test_a_forced_internal_error_is_an_open311_500(app: Flask, client: FlaskClient,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from portal.api import services

    def broken(*_args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "find_reports", broken)
    for fmt in ("json", "xml"):
        response = client.get(f"{API}/requests.{fmt}")
        assert response.status_code == 500
        [error] = error_list(response)
        assert error["code"] == 500 and "boom" not in error["description"]
        assert "Traceback" not in response.get_data(as_text=True)


def test_a_database_that_is_down_is_an_open311_503(app: Flask, client: FlaskClient,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from portal.api import services

    def down() -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(services, "services", down)
    response = client.get(f"{API}/services.xml")
    assert response.status_code == 503
    [error] = error_list(response)
    assert error["code"] == 503 and "connection refused" not in error["description"]


def test_too_large_is_an_open311_413(app: Flask, client: FlaskClient, submitter: Key) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post(f"{API}/requests.xml?locale=en&api_key={submitter.raw}",
                           data={"service_code": "vandalism", "description": "x",
                                 "media": (io.BytesIO(b"x" * 5000), "big.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    [error] = error_list(response)
    assert error["code"] == 413 and "10 MB" in error["description"]


def test_a_malformed_multipart_body_is_a_400(client: FlaskClient, submitter: Key) -> None:
    response = client.post(f"{API}/requests.json?api_key={submitter.raw}",
                           data=b"--x\r\nbroken", content_type="multipart/form-data")
    assert response.status_code == 400
    [error] = error_list(response)
    assert error["code"] == response.status_code


def test_the_api_sets_no_cookie_and_needs_no_csrf_token(client: FlaskClient,
                                                        submitter: Key) -> None:
    response = client.get(f"{API}/services.json", headers={"Accept-Language": "nl"})
    assert "Set-Cookie" not in response.headers
    response = client.post(f"{API}/requests.json", data={"api_key": submitter.raw,
                                                         "service_code": "vandalism"})
    assert response.status_code == 400  # a form error, not a CSRF refusal
    assert error_list(response)[0]["description"].startswith("description: ")
