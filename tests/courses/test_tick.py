"""The minute job: offers expire and pass on, reminders leave once, old personal data goes."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient

from portal.courses import links, organising, schedule, signup
from portal.courses.models import BookingLink, CourseSession
from portal.extensions import db
from tests.courses.helpers import (
    make_session,
    outbox,
    post_sign_up,
    registrations,
    sign_up_direct,
    starts_at,
    token_of,
)


def _tick(app: Flask, now: datetime) -> schedule.TickReport:
    with app.app_context():
        return schedule.tick(now=now)


def _cancel(app: Flask, token: str) -> None:
    with app.app_context():
        signup.cancel_registration(links.find_by_token(token))
        db.session.commit()


def test_reminder_the_day_before_in_each_language(app: Flask, client: FlaskClient) -> None:
    session_id = make_session(app, capacity=2, starts_in=timedelta(days=3))
    token_of(post_sign_up(client, session_id, "nl", email="jan@example.be"))
    token_of(post_sign_up(client, session_id, "en", email="kim@example.be"))
    sign_up_direct(app, session_id, "waiting@example.be")
    start = starts_at(app, session_id)
    due = schedule.reminder_time(start)
    assert due.hour == 10 and (start - due) < timedelta(days=2)
    assert _tick(app, due - timedelta(minutes=1)).reminded == 0
    assert _tick(app, due).reminded == 2
    assert _tick(app, due + timedelta(minutes=1)).reminded == 0  # never twice
    confirmation, jan = outbox(app, "jan@example.be")
    assert confirmation.attachments and not jan.attachments
    assert jan.language == "nl" and "Eerste hulp voor het rijbewijs" in jan.subject
    assert "Rue du Trône 12, 1050 Ixelles" in jan.body and "Breng uw identiteitskaart mee." in jan.body
    assert "/nl/courses/booking/" in jan.body and "/cancel" in jan.body
    kim = outbox(app, "kim@example.be")[-1]
    assert kim.language == "en" and "Bring an identity document." in kim.body
    assert len(outbox(app, "waiting@example.be")) == 1  # only the waiting-list message


def test_expired_offers_pass_on_and_tick_is_idempotent(app: Flask) -> None:
    session_id = make_session(app, capacity=2, starts_in=timedelta(days=20))
    holders = [sign_up_direct(app, session_id, f"h{n}@example.be") for n in range(2)]
    for n in range(4):
        sign_up_direct(app, session_id, f"w{n}@example.be")
    for holder in holders:
        _cancel(app, holder.token)
    offered = [r for r in registrations(app, session_id) if r.status == "offered"]
    assert [r.email for r in offered] == ["w0@example.be", "w1@example.be"]
    later = max(r.offer_expires_at for r in offered)
    first = _tick(app, later)
    assert (first.expired, first.offered) == (2, 2)
    messages = len(outbox(app))
    second = _tick(app, later)
    assert (second.expired, second.offered, second.reminded) == (0, 0, 0)
    assert len(outbox(app)) == messages
    statuses = [(r.email, r.status) for r in registrations(app, session_id)]
    assert statuses[2:] == [("w0@example.be", "expired"), ("w1@example.be", "expired"),
                            ("w2@example.be", "offered"), ("w3@example.be", "offered")]


def test_two_ticks_racing_do_everything_once(app: Flask) -> None:
    sessions = [make_session(app, capacity=3, starts_in=timedelta(days=20 + n)) for n in range(3)]
    reminded = make_session(app, capacity=5, starts_in=timedelta(days=3))
    for n in range(5):
        sign_up_direct(app, reminded, f"r{n}@example.be")
    for session_id in sessions:
        holders = [sign_up_direct(app, session_id, f"h{n}-{session_id}@example.be") for n in range(3)]
        for n in range(6):
            sign_up_direct(app, session_id, f"w{n}-{session_id}@example.be")
        for holder in holders:
            _cancel(app, holder.token)
    deadline = max(r.offer_expires_at for r in registrations(app) if r.status == "offered")
    now = max(deadline, schedule.reminder_time(starts_at(app, reminded)))
    before = len(outbox(app))
    reports: list[schedule.TickReport] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            with app.app_context():
                start.wait()
                reports.append(schedule.tick(now=now))
        except BaseException as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(r.expired for r in reports) == 9
    assert sum(r.offered for r in reports) == 9
    assert sum(r.reminded for r in reports) == 5
    assert len(outbox(app)) - before == 9 + 5
    for session_id in sessions:
        rows = registrations(app, session_id)
        assert [r.status for r in rows].count("offered") == 3
        assert [r.status for r in rows[3:]] == ["expired"] * 3 + ["offered"] * 3
    reminders = [m for m in outbox(app) if m.recipient.startswith("r")][5:]
    assert sorted(m.recipient for m in reminders) == [f"r{n}@example.be" for n in range(5)]


def test_finished_session_frees_the_email_and_keeps_figures(app: Flask) -> None:
    session_id = make_session(app, capacity=2, starts_in=timedelta(days=2))
    present = sign_up_direct(app, session_id, "p@example.be")
    absent = sign_up_direct(app, session_id, "a@example.be")
    sign_up_direct(app, session_id, "w@example.be")
    with app.app_context():
        organising.check_in(links.find_by_token(present.token), True)
        organising.check_in(links.find_by_token(absent.token), False)
        db.session.commit()
        end = db.session.get(CourseSession, session_id).ends_at
    assert _tick(app, end - timedelta(minutes=1)).finished == 0
    assert _tick(app, end).finished == 1
    assert _tick(app, end).finished == 0
    assert all(r.active_key is None for r in registrations(app, session_id))
    # The same address may now book a later course of the same type.
    later = make_session(app, starts_in=timedelta(days=30))
    assert sign_up_direct(app, later, "p@example.be").outcome == "confirmed"


def test_personal_data_erased_after_retention(app: Flask, client: FlaskClient) -> None:
    app.config["COURSE_RETENTION_DAYS"] = 30
    session_id = make_session(app, capacity=1, starts_in=timedelta(days=2))
    token = token_of(post_sign_up(client, session_id, "fr", email="p@example.be", phone="0470 11 22 33"))
    sign_up_direct(app, session_id, "w@example.be", name="Waiting Person")
    with app.app_context():
        organising.check_in(links.find_by_token(token), True)
        db.session.commit()
        end = db.session.get(CourseSession, session_id).ends_at
    _tick(app, end)
    assert _tick(app, end + timedelta(days=30) - timedelta(minutes=1)).erased == 0
    assert registrations(app, session_id)[0].email == "p@example.be"
    assert _tick(app, end + timedelta(days=30)).erased == 1
    assert _tick(app, end + timedelta(days=31)).erased == 0
    rows = registrations(app, session_id)
    for row in rows:
        assert (row.name, row.email, row.phone, row.active_key, row.submission_key) == (
            None, None, None, None, None)
        assert row.erased_at is not None
    assert [(r.status, r.purpose, r.attended, r.language) for r in rows] == [
        ("confirmed", "driving-licence", True, "fr"), ("waiting", "general", None, "fr")]
    with app.app_context():
        assert db.session.query(BookingLink).count() == 0
        figures = organising.attendance_figures(db.session.get(CourseSession, session_id))
    assert (figures["confirmed"], figures["waiting"], figures["present"]) == (1, 1, 1)
    assert client.get(f"/fr/courses/booking/{token}").status_code == 404


def test_cancelled_sessions_are_erased_too(app: Flask) -> None:
    session_id = make_session(app, starts_in=timedelta(days=2))
    sign_up_direct(app, session_id, "p@example.be")
    with app.app_context():
        organising.cancel_session(session_id)
        db.session.commit()
        end = db.session.get(CourseSession, session_id).ends_at
    days = app.config["COURSE_RETENTION_DAYS"]
    assert _tick(app, end + timedelta(days=days)).erased == 1
    assert registrations(app, session_id)[0].email is None


def test_cli_tick(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["portal", "courses", "tick"])
    assert result.exit_code == 0, result.output
    assert "0 offers expired" in result.output and "0 reminders" in result.output
