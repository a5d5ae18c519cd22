"""/metrics: off unless PORTAL_METRICS_TOKEN is set, then behind it; request counts and latency
per worker (added up across processes in multiprocess mode), database figures at scrape time."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select, update

from portal.courses.models import Registration, RegistrationStatus
from portal.db import utcnow
from portal.extensions import db
from portal.notify.models import PENDING, OutboxMessage
from tests.conftest import Database, base_settings
from tests.courses.helpers import make_session, sign_up_direct
from tests.reports.helpers import post_report

TOKEN = "metrics-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(found: Samples, name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


@pytest.fixture
def metrics_app(app: Flask, database: Database, tmp_path: Path, geo_cache: Path) -> Flask:
    """The portal with a metrics token, on the ``app`` fixture's database."""
    from portal import create_app

    return create_app(base_settings(tmp_path, geo_cache, METRICS_TOKEN=TOKEN,
                                    DATABASE_URL=app.config["DATABASE_URL"]))


def test_no_metrics_and_no_counting_without_a_token(app: Flask) -> None:
    response = app.test_client().get("/metrics", headers={"Authorization": "Bearer "})
    assert response.status_code == 404
    assert "portal_metrics" not in app.extensions


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", TOKEN, f"Basic {TOKEN}"])
def test_metrics_need_the_token(metrics_app: Flask, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = metrics_app.test_client().get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"portal_" not in response.data


def test_requests_by_endpoint_and_status_with_their_latency(metrics_app: Flask) -> None:
    client = metrics_app.test_client()
    for _ in range(3):
        assert client.get("/fr/").status_code == 200
    assert client.get("/fr/no-such-page/at-all").status_code == 404
    assert client.post("/healthz").status_code == 405
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    found = samples(response.get_data(as_text=True))

    requests = "portal_http_requests_total"
    assert value(found, requests, endpoint="site.home", method="GET", status="200") == 3
    assert value(found, requests, endpoint="unmatched", method="GET", status="404") == 1
    # A method the rule refuses is counted with the addresses no rule matches.
    assert value(found, requests, endpoint="unmatched", method="POST", status="405") == 1
    assert value(found, requests, endpoint="metrics.scrape", method="GET", status="200") is None
    latency = "portal_http_request_duration_seconds"
    assert value(found, f"{latency}_count", endpoint="site.home") == 3
    assert value(found, f"{latency}_bucket", endpoint="site.home", le="+Inf") == 3
    assert value(found, f"{latency}_sum", endpoint="site.home") > 0


def test_database_figures_are_read_when_scraped(metrics_app: Flask) -> None:
    client = metrics_app.test_client()
    for postal_code in ("1060", "1060", "1000"):
        assert post_report(client, postal_code=postal_code,
                           email="someone@example.org").status_code == 303
    assert post_report(client, code="burglary", postal_code="1000").status_code == 303
    session_id = make_session(metrics_app, capacity=1)
    for person in ("a", "b", "c"):
        sign_up_direct(metrics_app, session_id, f"{person}@example.org")
    with metrics_app.app_context():
        waiting = db.session.scalars(select(Registration.id).where(
            Registration.status == RegistrationStatus.WAITING).order_by(Registration.id)).first()
        db.session.execute(update(Registration).where(Registration.id == waiting).values(
            status=RegistrationStatus.OFFERED, offered_at=utcnow()))
        db.session.add(OutboxMessage(recipient="old@example.org", subject="s", body="b",
                                     language="fr", created_at=utcnow() - timedelta(hours=2)))
        db.session.commit()
        pending = db.session.scalar(select(func.count()).where(OutboxMessage.status == PENDING))

    found = samples(client.get("/metrics", headers=AUTH).get_data(as_text=True))
    reports = "portal_reports_total"
    assert {labels: count for (name, labels), count in found.items() if name == reports} == {
        frozenset({("category", "vandalism"), ("municipality", "21013")}): 2,
        frozenset({("category", "vandalism"), ("municipality", "21004")}): 1,
        frozenset({("category", "burglary"), ("municipality", "21004")}): 1}
    # At least: two reports with an e-mail, three sign-ups, one message queued by hand.
    assert pending >= 6
    assert value(found, "portal_outbox_pending") == pending
    assert 7190 <= value(found, "portal_outbox_oldest_pending_age_seconds") <= 7300
    assert value(found, "portal_course_registrations", status="confirmed") == 1
    assert value(found, "portal_course_registrations", status="offered") == 1
    assert value(found, "portal_course_registrations", status="waiting") == 1
    assert value(found, "portal_course_sign_ups_total") == 3
    assert value(found, "portal_course_offers_total") == 1


@pytest.fixture
def two_servers(tmp_path: Path, geo_cache: Path) -> Iterator[list[str]]:
    """Two gunicorn processes on one database and one PROMETHEUS_MULTIPROC_DIR: what several
    workers of one gunicorn are, with each request sent to a known process."""
    import requests

    from tests.conftest import _migrate_and_seed
    from tests.smtp import free_port

    database = tmp_path / "portal.sqlite3"
    _migrate_and_seed(f"sqlite:///{database}", tmp_path / "seed", geo_cache)
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = {**os.environ, "PORTAL_INSTANCE_PATH": str(tmp_path / "instance"),
           "PORTAL_DATABASE_URL": f"sqlite:///{database}", "PORTAL_SECRET_KEY": "metrics-test",
           "PORTAL_METRICS_TOKEN": TOKEN, "PROMETHEUS_MULTIPROC_DIR": str(shared)}
    urls, processes = [], []
    try:
        for _ in range(2):
            port = free_port()
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}",
                 "portal:create_app()"], env=env, cwd=tmp_path,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            urls.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 120  # a busy machine starts Python slowly
        for url in urls:
            while True:
                try:
                    if requests.get(f"{url}/healthz", timeout=60).status_code == 200:
                        break
                except requests.ConnectionError:
                    pass
                assert time.monotonic() < deadline, f"{url} did not start"
                time.sleep(0.2)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)


def test_several_processes_add_up_in_multiprocess_mode(two_servers: list[str]) -> None:
    import requests

    first, second = two_servers
    for url, times in ((first, 2), (second, 5)):
        for _ in range(times):
            assert requests.get(f"{url}/fr/", timeout=60).status_code == 200
    scraped = [requests.get(f"{url}/metrics", headers=AUTH, timeout=60) for url in two_servers]

    for response in scraped:
        assert response.status_code == 200
        found = samples(response.text)
        assert value(found, "portal_http_requests_total",
                     endpoint="site.home", method="GET", status="200") == 7
        assert value(found, "portal_http_request_duration_seconds_count", endpoint="site.home") == 7
        # Both startup probes: one per process.
        assert value(found, "portal_http_requests_total",
                     endpoint="health.healthz", method="GET", status="200") >= 2
