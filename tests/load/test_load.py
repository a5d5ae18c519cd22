"""Load without loss, at a small scale: the portal served by gunicorn with 4 sync workers.

The same clients and checks (``tests/load/traffic.py``) as ``benchmarks/load.py`` (1,000
reports and 200 sign-ups there), and the same gunicorn (``tests/load/server.py``): 120 Open311
submissions from 12 clients, and 40 residents signing up at once for a 6-place session, on
SQLite and on PostgreSQL. The servers are real processes, so the workers really write to the
database at the same time, which the test client cannot show. All in one xdist worker
(``xdist_group("load")``): four gunicorn workers are already more than this machine's cores.
"""
from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import Database, base_settings, missing
from tests.load import traffic
from tests.load.server import Gunicorn, Processes, portal_env

pytestmark = [pytest.mark.xdist_group("load")]

API_REQUESTS, API_CLIENTS = 120, 12
SIGN_UPS, CAPACITY = 40, 6
WORKERS = 4
#: No new request after this: it stops a hung run, it does not measure (a busy machine is slow).
DEADLINE_S = 300.0
REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "")


@dataclass
class Served:
    app: Flask
    port: int
    key: str
    session_id: int


def _rate_limit_storage() -> str:
    """Redis when the suite has one (the workers then share counts, as in production)."""
    if not REDIS_URL:
        return "memory://"
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=30).ping()
    except redis.RedisError:
        return "memory://"
    return REDIS_URL


@pytest.fixture
def served(database: Database, tmp_path_factory: pytest.TempPathFactory,
           geo_cache: Path) -> Iterator[Served]:
    """A fresh copy of the test database behind ``gunicorn -w 4 'portal:create_app()'``."""
    from portal import create_app, geo
    from portal.api.services import create_key
    from portal.extensions import db

    work = tmp_path_factory.mktemp(f"load-{database.backend}")
    app = create_app(base_settings(work, geo_cache, DATABASE_URL=database.url_for_test(work)))
    database.reset(app)
    instance = Path(app.instance_path)
    index = geo.index_path(geo_cache)
    if not index.exists():
        geo.build_index(geo_cache)
    shutil.copyfile(index, geo.index_path(instance))
    with app.app_context():
        _key, raw = create_key("load-test", ["submit"], [])
        db.session.commit()
    session_id = traffic.create_course_session(app, CAPACITY)
    env = portal_env(instance, app.config["DATABASE_URL"],
                     **traffic.load_settings(_rate_limit_storage()))
    env["PORTAL_SECRET_KEY"] = app.config["SECRET_KEY"]
    server = Gunicorn(env, instance / "gunicorn.log", workers=WORKERS)
    try:
        with Processes() as procs:
            try:
                server.start(procs, timeout_s=180)
            except RuntimeError as error:
                missing("gunicorn", str(error)[-1500:])
            yield Served(app, server.port, raw, session_id)
    finally:
        traffic.dispose(app)


def test_nothing_is_lost_under_load(served: Served) -> None:
    """Both loads on one server (starting four workers is most of the time here)."""
    started = time.monotonic()
    reports, seconds = traffic.api_load(served.port, served.key, API_REQUESTS, API_CLIENTS,
                                        deadline_s=DEADLINE_S)
    api = traffic.check_reports(served.app, reports, seconds)
    sign_ups, seconds = traffic.signup_load(served.port, served.session_id, SIGN_UPS,
                                            barrier_timeout_s=DEADLINE_S)
    places = traffic.check_signups(served.app, served.session_id, CAPACITY, sign_ups, seconds)
    refused = [a.body for a in reports if a.status != 200][:2]
    summary = f"reports: {api.problems()} {refused}; sign-ups: {places.problems}"

    assert time.monotonic() - started < 2 * DEADLINE_S, summary
    # Every submission is valid: each is answered 200, stored, and told its own reference.
    assert api.sent == API_REQUESTS
    assert api.no_answer == 0, summary
    assert dict(api.statuses) == {200: API_REQUESTS}, summary
    assert api.missing == []
    assert api.duplicates == []
    assert api.rows == API_REQUESTS
    assert api.unanswered_rows == 0
    # Sign-ups at once: exactly the places, then the queue in the order of arrival.
    assert [a.get_status for a in sign_ups] == [200] * SIGN_UPS, summary
    assert dict(places.statuses) == {303: SIGN_UPS}, summary  # every client answered, no 5xx
    assert places.no_answer == 0
    assert places.confirmed == CAPACITY
    assert places.waiting == SIGN_UPS - CAPACITY
    # Told in their e-mails, in their language: 1, 2, 3 ... in the order of their rows.
    assert places.told_positions == list(range(1, SIGN_UPS - CAPACITY + 1))
    assert sorted(a.booking_state for a in sign_ups) == (
        ["confirmed"] * CAPACITY + ["waiting"] * (SIGN_UPS - CAPACITY))
    assert places.out_of_order == 0
    assert places.problems == []
