"""Security headers on every answer; idle staff sessions end."""
from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.staff import login, make_user


@pytest.mark.parametrize("path", ["/fr/", "/nl/report/categories", "/en/track/", "/fr/nope", "/"])
def test_headers_on_every_answer(web: FlaskClient, path: str) -> None:
    headers = web.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "openstreetmap" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Permissions-Policy"].startswith("geolocation=(self)")
    assert "Strict-Transport-Security" not in headers


def test_hsts_over_https(web: FlaskClient) -> None:
    headers = web.get("/fr/", base_url="https://portal.example").headers
    assert headers["Strict-Transport-Security"].startswith("max-age=")


def test_session_cookie_flags(app: Flask, client: FlaskClient) -> None:
    make_user(app, "bob@example.org", "coordinator")
    response = login(client, "bob@example.org")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_idle_staff_session_ends(app: Flask, client: FlaskClient, monkeypatch) -> None:
    from datetime import timedelta

    from portal.accounts import sessions
    from portal.db import utcnow

    make_user(app, "bob@example.org", "coordinator")
    login(client, "bob@example.org")
    assert client.get("/fr/manage/reports").status_code == 200
    start = utcnow()
    monkeypatch.setattr(sessions, "utcnow", lambda: start + timedelta(minutes=10))
    assert client.get("/fr/manage/reports").status_code == 200
    monkeypatch.setattr(sessions, "utcnow", lambda: start + timedelta(minutes=10) + sessions.IDLE
                        + timedelta(seconds=5))
    assert client.get("/fr/manage/reports").status_code == 302
