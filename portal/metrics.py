"""Prometheus metrics at ``/metrics``, only when ``PORTAL_METRICS_TOKEN`` is set, behind it.

Two kinds, chosen so that several gunicorn workers (and hosts) give exact figures:

- Requests (count by endpoint, method and status; latency by endpoint) are counted in the
  worker that served them: a dictionary update, no database. With several workers, set
  ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory before gunicorn starts: each worker then
  writes its counts there and a scrape, whichever worker answers it, adds them all up
  (prometheus_client's multiprocess mode).
- Everything the database knows (reports by category and municipality, the outbox, course
  sign-ups and offers) is counted by the database when ``/metrics`` is scraped: exact across
  workers and hosts, nothing to keep in step, and no query on any other request.
"""
from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from portal.extensions import db

bp = Blueprint("metrics", __name__)

#: Seconds: public pages answer in milliseconds, a report with photos in about a second.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class RequestMetrics:
    """The per-request counters of one application."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("portal_http_requests", "HTTP requests answered.",
                                ["endpoint", "method", "status"], registry=self.registry)
        self.latency = Histogram("portal_http_request_duration_seconds",
                                 "Time to answer a request, by endpoint.", ["endpoint"],
                                 buckets=LATENCY_BUCKETS, registry=self.registry)

    def observe(self, response: Response) -> Response:
        started = g.get("metrics_started")
        current = request._get_current_object()  # type: ignore[attr-defined]
        endpoint = current.endpoint or "unmatched"  # an address no rule matched: one series
        self.requests.labels(endpoint, current.method, str(response.status_code)).inc()
        if started is not None:
            self.latency.labels(endpoint).observe(time.perf_counter() - started)
        return response


class DatabaseCollector(Collector):
    """Figures read from the database at scrape time (needs the app context of the scrape)."""

    def collect(self) -> Iterator[Metric]:
        from portal.courses.models import Registration
        from portal.health import oldest_unsent_age
        from portal.notify.models import PENDING, OutboxMessage
        from portal.reports.models import Report

        reports = CounterMetricFamily("portal_reports", "Reports filed (spam included).",
                                      labels=["category", "municipality"])
        rows = db.session.execute(select(Report.category_code, Report.municipality_nis,
                                         func.count()).group_by(Report.category_code,
                                                                Report.municipality_nis))
        for category, municipality, count in rows:
            reports.add_metric([category, municipality], count)
        yield reports

        pending = db.session.scalar(select(func.count()).where(OutboxMessage.status == PENDING))
        yield GaugeMetricFamily("portal_outbox_pending", "E-mails waiting to be sent.",
                                value=pending or 0)
        yield GaugeMetricFamily("portal_outbox_oldest_pending_age_seconds",
                                "Age of the oldest e-mail waiting to be sent (0: none).",
                                value=oldest_unsent_age() or 0.0)

        registrations = GaugeMetricFamily("portal_course_registrations",
                                          "Course registrations by status.", labels=["status"])
        for status, count in db.session.execute(select(Registration.status, func.count())
                                                .group_by(Registration.status)):
            registrations.add_metric([status], count)
        yield registrations
        sign_ups = db.session.scalar(select(func.count(Registration.id))) or 0
        yield CounterMetricFamily("portal_course_sign_ups", "Course sign-ups (waiting list "
                                  "included).", value=sign_ups)
        offers = db.session.scalar(select(func.count(Registration.id))
                                   .where(Registration.offered_at.is_not(None))) or 0
        yield CounterMetricFamily("portal_course_offers", "Places offered from a waiting list.",
                                  value=offers)


def _request_registry(metrics: RequestMetrics) -> CollectorRegistry:
    """This worker's counts, or with ``PROMETHEUS_MULTIPROC_DIR`` the sum of every worker's."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return metrics.registry
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


@bp.get("/metrics")
def scrape() -> Response:
    """The Prometheus text format, for a scraper that sends ``Authorization: Bearer TOKEN``."""
    expected = f"Bearer {current_app.config['METRICS_TOKEN']}".encode()
    if not hmac.compare_digest(request.headers.get("Authorization", "").encode(), expected):
        return Response("A bearer token is required.\n", 401, mimetype="text/plain",
                        headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    metrics: RequestMetrics = current_app.extensions["portal_metrics"]
    figures = CollectorRegistry()  # one per scrape: nothing shared between threads
    figures.register(DatabaseCollector())
    body = generate_latest(_request_registry(metrics)) + generate_latest(figures)
    response = Response(body, mimetype=None, content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """With a token: count every request and serve ``/metrics``; without: nothing at all."""
    if not app.config["METRICS_TOKEN"]:
        return
    metrics = RequestMetrics()
    app.extensions["portal_metrics"] = metrics

    def _start() -> None:
        g.metrics_started = time.perf_counter()

    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(metrics.observe)
    app.register_blueprint(bp)
