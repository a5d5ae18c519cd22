"""Absolute links follow the address the portal is served on unless PORTAL_BASE_URL is set."""
from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.config import FALLBACK_BASE_URL, base_url, load
from portal.extensions import db
from portal.notify.models import OutboxMessage
from portal.notify.services import external_url
from tests.outbox import rendered
from tests.reports.helpers import post_report


def test_the_setting_is_empty_unless_portal_base_url_is_set(tmp_path) -> None:
    assert load(tmp_path, environ={})["BASE_URL"] == ""
    assert load(tmp_path, environ={"PORTAL_BASE_URL": "https://prevention.example.be"})[
        "BASE_URL"] == "https://prevention.example.be"


def test_without_the_setting_a_request_links_to_its_own_host_and_port(web_app: Flask) -> None:
    web_app.config["BASE_URL"] = ""
    with web_app.test_request_context("/nl/", base_url="http://127.0.0.1:5201"):
        web_app.preprocess_request()
        assert base_url() == "http://127.0.0.1:5201"
        assert external_url("site.home") == "http://127.0.0.1:5201/nl/"
    with web_app.app_context():  # a command or the e-mail worker, without a request
        assert base_url() == FALLBACK_BASE_URL
    web_app.config["BASE_URL"] = "https://prevention.example.be/"
    with web_app.test_request_context("/nl/", base_url="http://127.0.0.1:5201"):
        assert base_url() == "https://prevention.example.be"


def test_without_the_setting_hreflang_links_name_no_host(web_app: Flask, web: FlaskClient) -> None:
    """Pages shared through the page cache must not carry the Host header of their first visitor."""
    web_app.config["BASE_URL"] = ""
    html = web.get("/fr/", base_url="http://evil.example").get_data(as_text=True)
    assert '<link rel="alternate" hreflang="nl" href="/nl/">' in html
    assert "evil.example" not in html


def test_the_private_link_and_the_e_mail_point_at_the_port_served(app: Flask) -> None:
    """The issue: ``make run PORT=5201`` wrote http://127.0.0.1:5000/… into both."""
    app.config["BASE_URL"] = ""
    app.config["SERVER_NAME"] = "127.0.0.1:5201"  # the test client's requests go to that host
    client = app.test_client()
    response = post_report(client, "en", email="resident@example.org")
    assert response.status_code == 303, response.get_data(as_text=True)[:1000]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    [link] = set(re.findall(r"http://[^\s\"<]+/en/track/[A-Za-z0-9_-]+", page))
    assert link.startswith("http://127.0.0.1:5201/en/track/")
    with app.app_context():
        bodies = [rendered(m).body for m in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == "resident@example.org"))]
    assert len(bodies) == 1 and link in bodies[0]
    assert ":5000" not in bodies[0]
