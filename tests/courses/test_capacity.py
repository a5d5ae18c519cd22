"""Many people racing for the last places: never overbooked, the queue in arrival order."""
from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import event

from portal.extensions import db
from tests.courses.helpers import (
    form_data,
    make_session,
    open_form,
    outbox,
    registrations,
)


@pytest.fixture
def racing_app(app: Flask, tmp_path: Path, geo_cache: Path) -> Iterator[Flask]:
    """The app, waiting longer for the database than people would.

    Two hundred requests at once take turns for one lock. On a loaded test machine the last
    ones can wait longer than SQLite's 15 s busy timeout, or than PostgreSQL's 10 s for one of
    the 15 pooled connections, and get the "busy" answer. This test is about places, not about
    how fast the machine is (in production each gunicorn worker has its own pool).
    """
    if not app.config["DATABASE_URL"].startswith("postgresql"):
        with app.app_context():
            @event.listens_for(db.engine, "connect")
            def _patient(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
                dbapi_connection.execute("PRAGMA busy_timeout=300000")

            db.engine.dispose()
        yield app
        return
    from portal import create_app
    from tests.conftest import base_settings

    patient = create_app(base_settings(
        tmp_path / "racing", geo_cache, DATABASE_URL=app.config["DATABASE_URL"],
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "pool_size": 5, "max_overflow": 10,
                                   "pool_timeout": 60}))
    yield patient
    with patient.app_context():
        db.session.remove()
        db.engine.dispose()


def _race(app: Flask, session_id: int, count: int) -> list[int]:
    """``count`` browsers submit the sign-up form at the same moment; returns the statuses."""
    client = app.test_client()
    _html, hidden = open_form(client, session_id, "fr")
    cookie = client.get_cookie("session")
    assert cookie is not None
    statuses: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def one(n: int) -> None:
        try:
            browser = app.test_client()
            browser.set_cookie("session", cookie.value)
            data = {**hidden, **form_data(email=f"racer{n}@example.be", name=f"Racer {n}"),
                    "submission_key": f"race-{n}"}
            start.wait()
            statuses.append(browser.post(f"/fr/courses/{session_id}", data=data).status_code)
        except BaseException as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return statuses


def _check_queue(app: Flask, session_id: int, capacity: int, count: int) -> None:
    rows = registrations(app, session_id)
    confirmed = [r for r in rows if r.status == "confirmed"]
    waiting = [r for r in rows if r.status == "waiting"]
    assert (len(rows), len(confirmed), len(waiting)) == (count, capacity, count - capacity)
    # Arrival order: whoever got the lock first got a place; everybody after waits, in turn.
    assert max(r.id for r in confirmed) < min(r.id for r in waiting)
    position_told = {}
    for message in outbox(app):
        # "number N on the waiting list" in the registrant's language
        match = re.search(r"(?:number|position|plaats) (\d+) (?:on the waiting list|sur la liste|op de wachtlijst)",
                          message.body)
        if match:
            position_told[message.recipient] = int(match.group(1))
    assert {r.email: rank for rank, r in enumerate(waiting, start=1)} == position_told
    assert len({r.email for r in rows}) == count


def test_forty_racing_for_five_places(racing_app: Flask) -> None:
    session_id = make_session(racing_app, capacity=5)
    statuses = _race(racing_app, session_id, 40)
    assert statuses == [303] * 40
    _check_queue(racing_app, session_id, 5, 40)


def test_two_hundred_racing_for_twelve_places(racing_app: Flask) -> None:
    session_id = make_session(racing_app, capacity=12)
    statuses = _race(racing_app, session_id, 200)
    assert statuses == [303] * 200
    _check_queue(racing_app, session_id, 12, 200)


def _hold_the_lock(app: Flask, session_id: int) -> tuple[object, object]:
    """Another writer holding the session (PostgreSQL: its row; SQLite: the database)."""
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite"):
        holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        return holder, holder.rollback
    import psycopg

    holder = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
    holder.execute("SELECT id FROM course_session WHERE id = %s FOR UPDATE", (session_id,))
    return holder, holder.rollback


def test_busy_answer_is_a_page_not_an_error(app: Flask) -> None:
    session_id = make_session(app, capacity=5)
    app.config["COURSE_LOCK_TIMEOUT_MS"] = 200
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            # Wait 0.2 s instead of the configured 15 s before giving up on the lock.
            @event.listens_for(db.engine, "connect")
            def _short_wait(dbapi_connection, _record) -> None:
                dbapi_connection.execute("PRAGMA busy_timeout=200")

            db.engine.dispose()
    client = app.test_client()
    _html, hidden = open_form(client, session_id, "nl")
    holder, release = _hold_the_lock(app, session_id)
    try:
        response = client.post(f"/nl/courses/{session_id}",
                               data={**hidden, **form_data(name="Jan <Peeters>")})
    finally:
        release()
        holder.close()
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Er schrijven zich op dit moment veel mensen in" in html
    assert 'value="Jan &lt;Peeters&gt;"' in html  # what was typed is kept
    assert registrations(app) == [] and outbox(app) == []
    # Once the lock is free the same form goes through.
    again = client.post(f"/nl/courses/{session_id}", data={**hidden, **form_data()})
    assert again.status_code == 303


@pytest.mark.parametrize("count", [6])
def test_same_email_racing_for_two_sessions_makes_one_booking(app: Flask, count: int) -> None:
    """The one-booking-per-type rule holds across sessions, which do not share a lock."""
    sessions = [make_session(app), make_session(app, municipality="21004")]
    client = app.test_client()
    forms = [open_form(client, s)[1] for s in sessions]
    cookie = client.get_cookie("session")
    results: list[int] = []
    start = threading.Barrier(count)

    def one(n: int) -> None:
        browser = app.test_client()
        browser.set_cookie("session", cookie.value)
        index = n % 2
        start.wait()
        results.append(browser.post(
            f"/fr/courses/{sessions[index]}",
            data={**forms[index], **form_data(email="same@example.be"),
                  "submission_key": f"same-{n}"}).status_code)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200] * (count - 1) + [303]
    assert len(registrations(app)) == 1


def test_what_counts_as_busy() -> None:
    from sqlalchemy.exc import IntegrityError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeoutError

    from portal.courses.places import is_busy_error

    class LockNotAvailable(Exception):
        sqlstate = "55P03"

    assert is_busy_error(OperationalError("SELECT", {}, LockNotAvailable()))
    assert is_busy_error(OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked")))
    assert is_busy_error(PoolTimeoutError("QueuePool limit reached"))
    assert not is_busy_error(OperationalError("SELECT", {}, sqlite3.OperationalError("disk I/O error")))
    assert not is_busy_error(IntegrityError("INSERT", {}, Exception("duplicate key")))
