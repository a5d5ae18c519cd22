"""Rate limits answer with the localized 429 page, and several workers share them via Redis."""
from __future__ import annotations

import uuid
from pathlib import Path

from flask import Flask

from tests.conftest import base_settings, csrf_token, redis_url


def limited_app(tmp_path: Path, geo_cache: Path, name: str, **extra) -> Flask:
    from portal import create_app

    return create_app(base_settings(tmp_path / name, geo_cache, RATELIMIT_ENABLED=True, **extra))


def try_tracking(app: Flask, lang: str = "fr") -> int:
    """One guess from this address, each on another reference (each reference has its own limit)."""
    from portal.reports.services import new_reference

    client = app.test_client()
    page = client.get(f"/{lang}/track/").get_data(as_text=True)
    return client.post(f"/{lang}/track/", data={"csrf_token": csrf_token(page), "reference": new_reference(),
                                                "code": "2222-2222-2222"}).status_code


def test_tracking_guesses_are_limited_with_a_localized_page(tmp_path: Path, geo_cache: Path) -> None:
    from flask_migrate import upgrade

    app = limited_app(tmp_path, geo_cache, "one")
    with app.app_context():
        upgrade(revision="heads")
    statuses = [try_tracking(app, "nl") for _ in range(21)]
    assert statuses[:20] == [422] * 20 and statuses[20] == 429
    client = app.test_client()
    page = client.get("/nl/track/").get_data(as_text=True)
    response = client.post("/nl/track/", data={"csrf_token": csrf_token(page), "reference": "x", "code": "y"})
    assert response.status_code == 429
    assert "Te veel pogingen" in response.get_data(as_text=True)
    assert client.get("/nl/track/").status_code == 200  # reading the form is not limited


def test_workers_share_counts_through_redis(tmp_path: Path, geo_cache: Path) -> None:
    """Two app instances (two gunicorn workers) with one Redis: the count is shared."""
    redis = redis_url()
    from flask_migrate import upgrade

    prefix = f"portal-test-{uuid.uuid4().hex}"
    database = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    first = limited_app(tmp_path, geo_cache, "a", RATELIMIT_STORAGE_URI=redis,
                        RATELIMIT_KEY_PREFIX=prefix, DATABASE_URL=database)
    second = limited_app(tmp_path, geo_cache, "b", RATELIMIT_STORAGE_URI=redis,
                         RATELIMIT_KEY_PREFIX=prefix, DATABASE_URL=database)
    with first.app_context():
        upgrade(revision="heads")
    statuses = [try_tracking(first if i % 2 else second) for i in range(21)]
    assert statuses.count(422) == 20 and statuses[-1] == 429
