"""/healthz and /readyz: what a load balancer asks before sending traffic."""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from portal.db import utcnow
from portal.extensions import db
from portal.notify.models import SENT, OutboxMessage
from tests.conftest import base_settings, missing

REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "")


def _queue(app: Flask, age: timedelta, status: str = "pending") -> None:
    with app.app_context():
        db.session.add(OutboxMessage(recipient="someone@example.org", subject="s", body="b",
                                     language="fr", status=status, created_at=utcnow() - age))
        db.session.commit()


def test_healthz_answers_without_the_database(tmp_path: Path, geo_cache: Path) -> None:
    from portal import create_app

    app = create_app(base_settings(tmp_path, geo_cache,
                                   DATABASE_URL=f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"))
    response = app.test_client().get("/healthz")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "ok\n")
    assert response.headers["Cache-Control"] == "no-store"


def test_ready_with_the_database_and_an_empty_outbox(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "checks": {"database": "ok", "redis": "not used",
                   "outbox": {"status": "ok", "oldest_unsent_age_seconds": None,
                              "max_age_seconds": 3600}}}


def test_an_outbox_stuck_past_the_threshold_is_not_ready(app: Flask, client: FlaskClient) -> None:
    _queue(app, timedelta(hours=5), status=SENT)  # sent long ago: not waiting
    _queue(app, timedelta(minutes=30))
    first = client.get("/readyz")
    _queue(app, timedelta(hours=2))
    stuck = client.get("/readyz")
    app.config["READY_OUTBOX_MAX_AGE"] = 0  # the operator turned the check off
    unchecked = client.get("/readyz")

    assert first.status_code == 200
    assert 1790 <= first.get_json()["checks"]["outbox"]["oldest_unsent_age_seconds"] <= 1900
    assert stuck.status_code == 503
    assert stuck.get_json()["status"] == "not ready"
    outbox = stuck.get_json()["checks"]["outbox"]
    assert outbox["status"] == "stuck" and 7190 <= outbox["oldest_unsent_age_seconds"] <= 7300
    assert unchecked.status_code == 200
    assert unchecked.get_json()["checks"]["outbox"]["status"] == "ok"


def test_an_unreachable_database_is_not_ready(tmp_path: Path, geo_cache: Path) -> None:
    from portal import create_app

    app = create_app(base_settings(tmp_path, geo_cache,
                                   DATABASE_URL=f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "unreachable", "redis": "not used"}


def test_redis_is_checked_when_rate_limits_use_it(app: Flask) -> None:
    app.config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:9/0"  # discard port: nobody there
    down = app.test_client().get("/readyz")
    assert down.status_code == 503
    assert down.get_json()["checks"]["redis"] == "unreachable"
    if not REDIS_URL:
        missing("Redis", "PORTAL_TEST_REDIS_URL is not set")
    app.config["RATELIMIT_STORAGE_URI"] = REDIS_URL
    up = app.test_client().get("/readyz")
    assert (up.status_code, up.get_json()["checks"]["redis"]) == (200, "ok")
