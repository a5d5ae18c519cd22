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


def test_trusting_a_proxy_that_is_not_there_is_logged_once(tmp_path, geo_cache, monkeypatch,
                                                           caplog) -> None:
    """With PORTAL_TRUST_PROXY on and no proxy, anyone picks the address the rate limits count."""
    import logging

    from portal import create_app, security
    from tests.conftest import base_settings

    monkeypatch.setattr(security, "_proxy_warned", False)
    app = create_app(base_settings(tmp_path, geo_cache, TRUST_PROXY=True))
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="portal.security"):
        client.get("/fr/privacy", headers={"X-Forwarded-For": "203.0.113.7"})
        assert not caplog.records  # a proxy in front: nothing to say
        client.get("/fr/privacy")
        client.get("/nl/privacy")
    warnings = [r for r in caplog.records if "PORTAL_TRUST_PROXY" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING


def test_no_proxy_warning_when_the_proxy_is_not_trusted(tmp_path, geo_cache, monkeypatch,
                                                        caplog) -> None:
    import logging

    from portal import create_app, security
    from tests.conftest import base_settings

    monkeypatch.setattr(security, "_proxy_warned", False)
    app = create_app(base_settings(tmp_path, geo_cache, TRUST_PROXY=False))
    with caplog.at_level(logging.WARNING, logger="portal.security"):
        app.test_client().get("/fr/privacy")
    assert not [r for r in caplog.records if "PORTAL_TRUST_PROXY" in r.getMessage()]


def test_a_header_the_view_set_is_kept(web: FlaskClient) -> None:
    """The calendar file sets its own Referrer-Policy; the others are still added once."""
    from portal.security import _headers

    with web.application.test_request_context("/fr/"):
        from flask import Response

        response = Response("x", headers={"Referrer-Policy": "no-referrer", "x-frame-options": "SAMEORIGIN"})
        headers = _headers(response).headers
    assert headers.getlist("Referrer-Policy") == ["no-referrer"]
    assert headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert len(headers.getlist("Content-Security-Policy")) == 1


def test_the_map_tiles_host_follows_the_setting(web: FlaskClient) -> None:
    web.application.config["MAP_TILE_URL"] = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    assert "https://*.tiles.example.org" in web.get("/fr/").headers["Content-Security-Policy"]
    web.application.config["MAP_TILE_URL"] = ""
    assert "tiles.example.org" not in web.get("/fr/").headers["Content-Security-Policy"]


def test_sessions_are_signed_with_the_current_key(web_app: Flask) -> None:
    """The session's serializer is kept per app, and made again when the keys change."""
    from itsdangerous import BadSignature

    interface = web_app.session_interface
    first = interface.get_signing_serializer(web_app)
    assert first is not None and interface.get_signing_serializer(web_app) is first
    cookie, old_key = first.dumps({"seen": 1}), web_app.secret_key
    web_app.secret_key = "another key, after a rotation"
    second = interface.get_signing_serializer(web_app)
    assert second is not None and second is not first
    with pytest.raises(BadSignature):
        second.loads(cookie)
    web_app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    # The old key as a fallback: yesterday's cookie still opens.
    third = interface.get_signing_serializer(web_app)
    assert third is not None and third is not second
    assert third.loads(cookie) == {"seen": 1}


def test_a_request_without_a_session_cookie_or_with_a_forged_one_has_an_empty_session(
        web_app: Flask) -> None:
    from flask import session

    with web_app.test_request_context("/fr/"):
        assert dict(session) == {} and not session.modified
    with web_app.test_request_context("/fr/", headers={"Cookie": "session=forged.value.sig"}):
        assert dict(session) == {}


def test_the_language_cookie_lasts_a_year_without_a_frozen_date(web: FlaskClient) -> None:
    first = web.get("/nl/").headers["Set-Cookie"]
    assert first.startswith("lang=nl;") and "Max-Age=31536000" in first
    assert "Expires" not in first and "HttpOnly" in first and "SameSite=Lax" in first
    web.set_cookie("lang", "nl")
    assert "Set-Cookie" not in web.get("/nl/").headers
