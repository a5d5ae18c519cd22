"""Attacks that race: requests at the same moment over real HTTP, on SQLite and PostgreSQL.

Each count, code and link must hold whatever the concurrency: five failures lock, a code and a
reset link work once. (On PostgreSQL, reading a value and writing it back lost updates.)
"""
from __future__ import annotations

from datetime import datetime, timedelta

import pyotp
from flask import Flask
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from portal.db import utcnow
from portal.extensions import db
from tests.accounts.served import Browser, race
from tests.staff import PASSWORD, make_user

ANNA = "anna@example.org"
BOSS = "boss@example.org"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def account(app: Flask, email: str) -> tuple[int, datetime | None, int | None]:
    """failed_logins, locked_until, totp_last_step of an account, as stored."""
    from portal.accounts.models import StaffUser

    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
        assert user is not None
        values = (user.failed_logins, user.locked_until, user.totp_last_step)
        db.session.remove()
        return values


def update_account(app: Flask, email: str, **values: object) -> None:
    from portal.accounts.models import StaffUser

    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
        for name, value in values.items():
            setattr(user, name, value)
        db.session.commit()
        db.session.remove()


def count_sessions(app: Flask) -> int:
    from portal.accounts.models import StaffSession

    with app.app_context():
        found = db.session.scalar(select(func.count()).select_from(StaffSession))
        db.session.remove()
        return int(found or 0)


def test_concurrent_wrong_passwords_each_count_and_five_lock(app: Flask, live_server: str) -> None:
    make_user(app, ANNA, "staff", ("21009",))
    # A production-like hash cost: checking it takes long enough for the attempts to overlap.
    update_account(app, ANNA, password_hash=generate_password_hash(PASSWORD, "scrypt:16384:8:1"))
    attempts = [Browser(live_server).form("/fr/manage/login", email=ANNA, password="wrong password")
                for _ in range(4)]
    assert [r.status_code for r in race(attempts)] == [422] * 4
    assert account(app, ANNA)[:2] == (4, None)  # each counted, not yet locked
    attempts = [Browser(live_server).form("/fr/manage/login", email=ANNA, password="wrong password")
                for _ in range(4)]
    assert [r.status_code for r in race(attempts)] == [422] * 4
    failed, locked_until, _step = account(app, ANNA)
    assert locked_until is not None and locked_until > utcnow() + timedelta(minutes=14)
    # The right password gets nowhere while the account is locked.
    assert Browser(live_server).password_step(ANNA).status_code == 422
    assert count_sessions(app) == 0


def _past_the_password(base: str, count: int) -> list[Browser]:
    browsers = []
    for _ in range(count):
        browser = Browser(base)
        response = browser.password_step(BOSS)
        assert response.headers["Location"].endswith("/fr/manage/login/code")
        browsers.append(browser)
    return browsers


def test_one_code_logs_in_once_whatever_the_concurrency(app: Flask, live_server: str) -> None:
    make_user(app, BOSS, "coordinator")
    update_account(app, BOSS, totp_secret=SECRET)
    browsers = _past_the_password(live_server, 8)
    code = pyotp.TOTP(SECRET).now()
    answers = race([b.form("/fr/manage/login/code", code=code) for b in browsers])
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [303] + [422] * 7, statuses
    [winner] = [b for b, r in zip(browsers, answers, strict=True) if r.status_code == 303]
    assert winner.get("/fr/manage/reports").status_code == 200
    assert [b.get("/fr/manage/reports").status_code for b in browsers if b is not winner] == [302] * 7
    assert count_sessions(app) == 1
    failed, locked_until, step = account(app, BOSS)
    assert (failed, locked_until) == (0, None)  # a right code used twice is not a guess
    assert step is not None


def test_wrong_codes_count_towards_the_lock_even_at_once(app: Flask, live_server: str) -> None:
    make_user(app, BOSS, "coordinator")
    update_account(app, BOSS, totp_secret=SECRET)
    totp = pyotp.TOTP(SECRET)
    right = {totp.at(utcnow() + timedelta(seconds=s)) for s in (-30, 0, 30, 60)}
    wrong = [f"{n:06d}" for n in range(100000, 999999, 7919) if f"{n:06d}" not in right][:8]
    patient, *guessers = _past_the_password(live_server, 9)
    answers = race([b.form("/fr/manage/login/code", code=code)
                    for b, code in zip(guessers, wrong, strict=True)])
    # All refused: "not right" (422), or sent back to the log-in once the lock is on.
    assert all(r.status_code == 422 or r.headers["Location"].endswith("/fr/manage/login")
               for r in answers), [r.status_code for r in answers]
    failed, locked_until, _step = account(app, BOSS)
    assert locked_until is not None and locked_until > utcnow()
    # Now even the right code is refused, and the password step too.
    answer = patient.form("/fr/manage/login/code", code=totp.now())()
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/fr/manage/login")
    assert patient.get("/fr/manage/reports").status_code == 302
    assert Browser(live_server).password_step(BOSS).status_code == 422
    assert count_sessions(app) == 0


def test_a_reset_link_changes_the_password_once_whatever_the_concurrency(app: Flask,
                                                                         live_server: str) -> None:
    from portal.accounts.models import StaffUser
    from portal.accounts.services import start_password_reset

    make_user(app, ANNA, "staff", ("21009",))
    with app.app_context():
        _user, secret = start_password_reset(ANNA)
        db.session.commit()
    link = f"/fr/manage/password/reset/{secret}"
    passwords = [f"new password number {n}" for n in range(8)]
    answers = race([Browser(live_server).form(link, password=p, confirm=p) for p in passwords])
    statuses = [r.status_code for r in answers]
    assert sorted(statuses) == [303] + [404] * 7, statuses
    assert all("Ce lien ne fonctionne plus" in r.text for r in answers if r.status_code == 404)
    winner = passwords[statuses.index(303)]
    with app.app_context():
        stored = db.session.scalar(select(StaffUser.password_hash))
        db.session.remove()
    assert [p for p in passwords if check_password_hash(stored, p)] == [winner]
