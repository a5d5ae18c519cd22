"""Staff sessions end on the server: log-out, password reset, disable, "log out everywhere
else" and 30 idle minutes end them, whatever copies of the cookie exist."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.db import utcnow
from portal.extensions import db
from tests.conftest import csrf_token
from tests.staff import login, make_user

ANNA = "anna@example.org"
PAGE = "/fr/manage/reports"


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser with a copy of this one's session cookie (a stolen cookie)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def logged_in(app: Flask, email: str = ANNA, page: str = PAGE) -> FlaskClient:
    client = app.test_client()
    assert login(client, email).status_code == 303
    assert client.get(page).status_code == 200
    return client


def post_button(client: FlaskClient, page: str, action: str) -> object:
    html = client.get(page).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return client.post(action, data={"csrf_token": token})


@pytest.fixture
def anna(app: Flask) -> int:
    return make_user(app, ANNA, "staff", ("21009",))


def test_a_cookie_copied_before_log_out_opens_nothing_after_it(app: Flask, anna: int) -> None:
    client = logged_in(app)
    thief = copy_of(app, client)
    assert thief.get(PAGE).status_code == 200
    assert post_button(client, PAGE, "/fr/manage/logout").status_code == 303
    assert thief.get(PAGE).status_code == 302
    assert client.get(PAGE).status_code == 302


def test_a_password_reset_ends_every_session(app: Flask, anna: int) -> None:
    from portal.accounts.services import start_password_reset

    client, other = logged_in(app), logged_in(app)
    with app.app_context():
        _user, secret = start_password_reset(ANNA)
        db.session.commit()
    link = f"/fr/manage/password/reset/{secret}"
    browser = app.test_client()
    form = browser.get(link).get_data(as_text=True)
    new = "another long password"
    assert browser.post(link, data={"csrf_token": csrf_token(form), "password": new,
                                    "confirm": new}).status_code == 303
    assert (client.get(PAGE).status_code, other.get(PAGE).status_code) == (302, 302)
    assert login(app.test_client(), ANNA, new).status_code == 303


@pytest.mark.parametrize("how", ["cli", "admin page"])
def test_disabling_ends_every_session_for_good(app: Flask, anna: int, how: str) -> None:
    client = logged_in(app)
    if how == "cli":
        disable = app.test_cli_runner().invoke(args=["portal", "user", "disable", ANNA])
        assert disable.exit_code == 0, disable.output
    else:
        make_user(app, "root@example.org", "admin")
        admin = logged_in(app, "root@example.org", "/fr/manage/admin/users")
        page = f"/fr/manage/admin/users/{anna}"
        assert post_button(admin, page, f"{page}/disable").status_code == 303
    assert client.get(PAGE).status_code == 302
    # Enabled again, the account logs in anew; the session opened before stays ended.
    from portal.accounts.services import set_active

    with app.app_context():
        set_active(ANNA, True)
        db.session.commit()
    assert client.get(PAGE).status_code == 302
    assert login(app.test_client(), ANNA).status_code == 303


def test_log_out_everywhere_else(app: Flask, anna: int) -> None:
    here, phone, laptop = logged_in(app), logged_in(app), logged_in(app)
    page = here.get("/fr/manage/sessions").get_data(as_text=True)
    assert page.count("<tr><td>") == 3 and "Ce navigateur" in page
    done = post_button(here, "/fr/manage/sessions", "/fr/manage/sessions/end-others")
    assert done.status_code == 303
    after = here.get(done.headers["Location"]).get_data(as_text=True)
    assert "Vous avez été déconnecté de 2 autres navigateurs." in after
    assert (phone.get(PAGE).status_code, laptop.get(PAGE).status_code) == (302, 302)
    assert here.get(PAGE).status_code == 200
    page = here.get("/nl/manage/sessions").get_data(as_text=True)
    assert page.count("<tr><td>") == 1 and "U bent alleen in deze browser aangemeld." in page


def test_the_button_needs_a_post_with_csrf(app: Flask, anna: int) -> None:
    here, other = logged_in(app), logged_in(app)
    assert here.get("/fr/manage/sessions/end-others").status_code == 405
    assert here.post("/fr/manage/sessions/end-others").status_code == 400
    assert other.get(PAGE).status_code == 200


def test_idle_is_measured_on_the_server_not_on_the_cookie(app: Flask, anna: int, monkeypatch) -> None:
    from portal.accounts import sessions
    from portal.accounts.models import StaffSession

    client = app.test_client()
    start = utcnow()
    monkeypatch.setattr(sessions, "utcnow", lambda: start)
    assert login(client, ANNA).status_code == 303
    stolen = copy_of(app, client)  # the cookie of the log-in answer itself
    # Reading pages counts as activity (a short write of its own, even on SQLite's read-only GET).
    monkeypatch.setattr(sessions, "utcnow", lambda: start + timedelta(minutes=20))
    assert client.get(PAGE).status_code == 200
    with app.app_context():
        seen = db.session.scalar(select(StaffSession.last_seen_at))
        db.session.remove()
    assert seen == start + timedelta(minutes=20)
    monkeypatch.setattr(sessions, "utcnow", lambda: start + timedelta(minutes=45))
    assert stolen.get(PAGE).status_code == 200  # 25 minutes after the last request: still open
    # 31 minutes without a request: ended for every copy of the cookie, the replayed one too.
    monkeypatch.setattr(sessions, "utcnow", lambda: start + timedelta(minutes=76))
    assert stolen.get(PAGE).status_code == 302
    assert client.get(PAGE).status_code == 302
    monkeypatch.setattr(sessions, "utcnow", lambda: start + timedelta(minutes=77))
    assert stolen.get(PAGE).status_code == 302  # and a refused request renews nothing


def test_activity_is_written_at_most_once_a_minute(app: Flask, anna: int) -> None:
    from portal.accounts.models import StaffSession

    client = logged_in(app)
    writes: list[str] = []
    with app.app_context():
        from sqlalchemy import event

        def note(_conn, _cursor, statement, *_args) -> None:
            if statement.lstrip().upper().startswith("UPDATE STAFF_SESSION"):
                writes.append(statement)

        event.listen(db.engine, "before_cursor_execute", note)
        try:
            for _ in range(3):
                assert client.get(PAGE).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
        assert writes == []
        assert len(db.session.scalars(select(StaffSession)).all()) == 1
        db.session.remove()
