"""``/healthz`` and ``/readyz`` for load balancers and orchestrators; no language, no session."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from portal.db import utcnow
from portal.extensions import db
from portal.notify.models import PENDING, OutboxMessage

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process answers: nothing else is checked, so a slow database never restarts it."""
    response = Response("ok\n", mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Ready for traffic: database and Redis reachable, and the outbox not stuck."""
    checks: dict[str, Any] = {"database": _database()}
    checks["redis"] = _redis(current_app.config["RATELIMIT_STORAGE_URI"])
    if checks["database"] == "ok":
        checks["outbox"] = _outbox(current_app.config["READY_OUTBOX_MAX_AGE"])
    ready = (checks["database"] == "ok" and checks["redis"] in ("ok", "not used")
             and checks.get("outbox", {}).get("status") == "ok")
    response = jsonify(status="ready" if ready else "not ready", checks=checks)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if ready else 503


def _database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        current_app.logger.warning("readyz: database unreachable: %s", type(error).__name__)
        db.session.rollback()
        return "unreachable"
    return "ok"


def _redis(uri: str) -> str:
    """Redis is only used for shared rate limits: checked when the storage is Redis."""
    if not uri.startswith(("redis://", "rediss://")):
        return "not used"
    import redis

    client = redis.Redis.from_url(uri, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        current_app.logger.warning("readyz: redis unreachable: %s", type(error).__name__)
        return "unreachable"
    finally:
        client.close()
    return "ok"


def oldest_unsent_age() -> float | None:
    """Seconds since the oldest message still waiting to be sent was queued (None: none)."""
    oldest = db.session.scalar(select(func.min(OutboxMessage.created_at))
                               .where(OutboxMessage.status == PENDING))
    return None if oldest is None else max(0.0, (utcnow() - oldest).total_seconds())


def _outbox(max_age: int) -> dict[str, Any]:
    """Stuck: the oldest unsent message is older than ``max_age`` seconds (0: never stuck)."""
    age = oldest_unsent_age()
    stuck = bool(max_age) and age is not None and age > max_age
    return {"status": "stuck" if stuck else "ok",
            "oldest_unsent_age_seconds": None if age is None else round(age),
            "max_age_seconds": max_age}
