"""Staff accounts: CLI, log-in, log-out, password reset."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from tests.conftest import csrf_token
from tests.outbox import rendered
from tests.staff import PASSWORD, login, make_user


def test_cli_adds_user_with_password_from_stdin(app: Flask) -> None:
    from portal.accounts.models import StaffUser

    runner = app.test_cli_runner()
    result = runner.invoke(args=["portal", "user", "add", "Anna@Ixelles.example", "--role", "staff",
                                 "--municipality", "21009", "--municipality", "21004"],
                           input="a long enough password\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(StaffUser))
        assert user.email == "anna@ixelles.example"
        assert sorted(user.municipality_codes) == ["21004", "21009"]
        assert user.password_hash.startswith("scrypt:") and "a long enough" not in user.password_hash


@pytest.mark.parametrize(("args", "password", "message"), [
    (["--role", "staff"], "a long enough password", "at least one --municipality"),
    (["--role", "staff", "--municipality", "99999"], "a long enough password", "unknown municipality"),
    (["--role", "admin"], "short", "at least 12 characters"),
])
def test_cli_refuses_bad_accounts(app: Flask, args, password, message) -> None:
    result = app.test_cli_runner().invoke(args=["portal", "user", "add", "x@example.org", *args],
                                          input=password + "\n")
    assert result.exit_code != 0 and message in result.output


def test_cli_disable_blocks_login_and_ends_sessions(app: Flask, client: FlaskClient) -> None:
    make_user(app, "bob@example.org", "coordinator")
    assert login(client, "bob@example.org").status_code == 303
    assert client.get("/fr/manage/reports").status_code == 200
    result = app.test_cli_runner().invoke(args=["portal", "user", "disable", "bob@example.org"])
    assert result.exit_code == 0
    assert client.get("/fr/manage/reports").status_code == 302  # the open session no longer works
    assert login(app.test_client(), "bob@example.org").status_code == 422


def test_wrong_password_is_refused_with_a_localized_message(app: Flask, client: FlaskClient) -> None:
    make_user(app, "bob@example.org", "coordinator")
    response = login(client, "bob@example.org", "wrong password", lang="nl")
    assert response.status_code == 422
    assert "Het e-mailadres of het wachtwoord is niet juist." in response.get_data(as_text=True)


def test_login_redirects_only_inside_the_site(app: Flask, client: FlaskClient) -> None:
    make_user(app, "bob@example.org", "staff", ("21009",))
    page = client.get("/fr/manage/login").get_data(as_text=True)
    response = client.post("/fr/manage/login?next=//evil.example/x",
                           data={"csrf_token": csrf_token(page), "email": "bob@example.org",
                                 "password": PASSWORD})
    assert response.headers["Location"] == "/fr/manage/"


def test_logout_needs_a_post_with_csrf(app: Flask, client: FlaskClient) -> None:
    make_user(app, "bob@example.org", "coordinator")
    login(client, "bob@example.org")
    assert client.get("/fr/manage/logout").status_code == 405
    assert client.post("/fr/manage/logout").status_code == 400  # no CSRF token
    page = client.get("/fr/manage/reports").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/fr/manage/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/fr/manage/reports").status_code == 302


def test_password_reset_works_once_and_expires(app: Flask, client: FlaskClient) -> None:
    from portal.accounts.models import PasswordReset
    from portal.notify.models import OutboxMessage

    make_user(app, "bob@example.org", "coordinator", language="nl")
    page = client.get("/en/manage/password/reset").get_data(as_text=True)
    response = client.post("/en/manage/password/reset",
                           data={"csrf_token": csrf_token(page), "email": "BOB@example.org"})
    assert response.status_code == 303
    send = app.test_cli_runner().invoke(args=["portal", "outbox", "send"])  # the e-mail worker
    assert send.exit_code == 0, send.output
    with app.app_context():
        [message] = map(rendered, db.session.scalars(select(OutboxMessage)).all())
        assert message.language == "nl" and message.recipient == "bob@example.org"
        link = re.search(r"http://[^/]+(/nl/manage/password/reset/\S+)", message.body).group(1)
    form = client.get(link)
    assert form.status_code == 200
    new = "another long password"
    done = client.post(link, data={"csrf_token": csrf_token(form.get_data(as_text=True)),
                                   "password": new, "confirm": new})
    assert done.status_code == 303
    assert client.get(link).status_code == 404  # works once
    assert login(app.test_client(), "bob@example.org", new).status_code == 303
    assert login(app.test_client(), "bob@example.org", PASSWORD).status_code == 422
    # an expired link
    from portal.accounts.services import start_password_reset
    with app.app_context():
        _, secret = start_password_reset("bob@example.org")
        reset = db.session.scalar(select(PasswordReset).where(PasswordReset.used_at.is_(None)))
        reset.expires_at = reset.expires_at - timedelta(hours=2)
        db.session.commit()
    assert client.get(f"/en/manage/password/reset/{secret}").status_code == 404


def test_reset_for_unknown_address_says_the_same_and_sends_nothing(app: Flask, client: FlaskClient) -> None:
    from portal.notify.models import OutboxMessage

    page = client.get("/fr/manage/password/reset").get_data(as_text=True)
    response = client.post("/fr/manage/password/reset",
                           data={"csrf_token": csrf_token(page), "email": "nobody@example.org"},
                           follow_redirects=True)
    assert "Si un compte existe" in response.get_data(as_text=True)
    assert app.test_cli_runner().invoke(args=["portal", "outbox", "send"]).exit_code == 0
    with app.app_context():
        assert db.session.scalars(select(OutboxMessage)).all() == []


def test_five_failures_lock_the_account_even_against_the_right_password(app: Flask, client: FlaskClient) -> None:
    from portal.accounts.models import StaffUser

    make_user(app, "anna@example.org", "staff", ("21009",))
    for _ in range(5):
        assert login(client, "anna@example.org", "wrong password").status_code == 422
    assert login(client, "anna@example.org").status_code == 422
    with app.app_context():
        user = db.session.scalar(select(StaffUser))
        user.locked_until = user.locked_until - timedelta(minutes=16)
        db.session.commit()
    assert login(client, "anna@example.org").status_code == 303


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_coordinators_and_admins_need_the_second_factor(app: Flask, client: FlaskClient, role: str) -> None:
    import pyotp

    from portal.accounts.models import StaffUser

    make_user(app, "boss@example.org", role)
    page = client.get("/fr/manage/login").get_data(as_text=True)
    response = client.post("/fr/manage/login", data={"csrf_token": csrf_token(page),
                                                      "email": "boss@example.org", "password": PASSWORD})
    assert response.headers["Location"] == "/fr/manage/login/code"
    assert client.get("/fr/manage/statistics").status_code == 302  # not logged in yet
    page = client.get("/fr/manage/login/code").get_data(as_text=True)
    secret = re.search(r'class="reference totp-key">([A-Z2-7]+)<', page).group(1)
    wrong = client.post("/fr/manage/login/code", data={"csrf_token": csrf_token(page), "code": "000000"})
    assert wrong.status_code == 422
    code = pyotp.TOTP(secret).now()
    done = client.post("/fr/manage/login/code", data={"csrf_token": csrf_token(page), "code": code})
    assert done.status_code == 303
    assert client.get("/fr/manage/").status_code in (200, 302)
    with app.app_context():
        assert db.session.scalar(select(StaffUser)).totp_secret == secret
    # The same code cannot be used twice (replay), a fresh one works.
    other = app.test_client()
    page = other.get("/fr/manage/login").get_data(as_text=True)
    other.post("/fr/manage/login", data={"csrf_token": csrf_token(page), "email": "boss@example.org",
                                         "password": PASSWORD})
    page = other.get("/fr/manage/login/code").get_data(as_text=True)
    assert "totp-key" not in page  # the key is shown only once, at enrolment
    assert other.post("/fr/manage/login/code", data={"csrf_token": csrf_token(page), "code": code}).status_code == 422


def test_staff_do_not_need_the_second_factor(app: Flask, client: FlaskClient) -> None:
    make_user(app, "anna@example.org", "staff", ("21009",))
    assert login(client, "anna@example.org").headers["Location"] == "/fr/manage/"


def _statements_of_reset_request(app: Flask, email: str) -> list[str]:
    """The SQL statements (text, without values) that one reset request runs."""
    from sqlalchemy import event

    client = app.test_client()
    page = client.get("/fr/manage/password/reset").get_data(as_text=True)
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        statements.append(" ".join(statement.split()))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", note)
        try:
            response = client.post("/fr/manage/password/reset",
                                   data={"csrf_token": csrf_token(page), "email": email})
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
    assert response.status_code == 303
    return statements


def test_a_reset_request_does_the_same_work_for_any_address(app: Flask) -> None:
    """The answer came 6 ms later for a known address (looked up, link made, e-mail rendered):
    now the request only notes the address, the same single INSERT whatever it is."""
    from portal.accounts.models import PasswordReset, PasswordResetRequest
    from portal.accounts.services import handle_reset_requests
    from portal.notify.models import OutboxMessage

    make_user(app, "bob@example.org", "staff", ("21009",))
    make_user(app, "gone@example.org", "staff", ("21009",))
    app.test_cli_runner().invoke(args=["portal", "user", "disable", "gone@example.org"])
    known = _statements_of_reset_request(app, "bob@example.org")
    for other in ("nobody@example.org", "gone@example.org"):
        assert _statements_of_reset_request(app, other) == known
    assert not any("staff_user" in statement for statement in known)
    assert [s.split()[0] for s in known if s.split()[0] in ("INSERT", "UPDATE", "DELETE")] == ["INSERT"]
    with app.app_context():
        assert handle_reset_requests() == 3  # the e-mail worker: a link for the known address only
        [message] = db.session.scalars(select(OutboxMessage)).all()
        assert message.recipient == "bob@example.org"
        assert len(db.session.scalars(select(PasswordReset)).all()) == 1
        assert db.session.scalars(select(PasswordResetRequest)).all() == []  # addresses erased


def test_the_second_step_has_a_limit_per_account_across_addresses(app: Flask, tmp_path, geo_cache,
                                                                  monkeypatch) -> None:
    """Sixty wrong codes from seven addresses were all looked at: now the account's own budget
    ends the guessing whatever the address (the lock is kept out of the way here)."""
    import pyotp

    from portal import create_app
    from portal.accounts import services
    from portal.accounts.models import StaffUser
    from tests.conftest import base_settings

    monkeypatch.setattr(services, "LOCK_AFTER", 1000)
    limited = create_app(base_settings(tmp_path / "limited", geo_cache, RATELIMIT_ENABLED=True,
                                       DATABASE_URL=app.config["DATABASE_URL"]))
    make_user(limited, "boss@example.org", "coordinator")
    secret = pyotp.random_base32()
    with limited.app_context():
        db.session.scalar(select(StaffUser)).totp_secret = secret
        db.session.commit()
    statuses = []
    for n in range(12):
        client = limited.test_client()
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{n % 7 + 1}"
        page = client.get("/fr/manage/login").get_data(as_text=True)
        client.post("/fr/manage/login", data={"csrf_token": csrf_token(page),
                                              "email": "boss@example.org", "password": PASSWORD})
        page = client.get("/fr/manage/login/code").get_data(as_text=True)
        code = "000000" if n < 11 else pyotp.TOTP(secret).now()
        statuses.append(client.post("/fr/manage/login/code",
                                    data={"csrf_token": csrf_token(page), "code": code}).status_code)
    assert statuses == [422] * 10 + [429, 429]  # the right code, too late, is not looked at
    with limited.app_context():
        assert db.session.scalar(select(StaffUser.failed_logins)) == 10
        db.session.remove()
        db.engine.dispose()


def test_the_key_comes_with_a_qr_code_and_admins_find_administration(app: Flask, client: FlaskClient) -> None:
    import base64

    make_user(app, "boss@example.org", "admin")
    page = client.get("/nl/manage/login").get_data(as_text=True)
    client.post("/nl/manage/login", data={"csrf_token": csrf_token(page), "email": "boss@example.org",
                                          "password": PASSWORD})
    page = client.get("/nl/manage/login/code").get_data(as_text=True)
    image = re.search(r'<img class="totp-qr" src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"'
                      r'[^>]* alt="([^"]+)"', page)
    assert image is not None, page
    svg = base64.b64decode(image.group(1)).decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "<path" in svg
    assert image.group(2) == "QR-code van de sleutel hieronder, om te scannen met een authenticatie-app"
    assert login(client, "boss@example.org", lang="nl").status_code == 303
    home = client.get("/nl/manage/").get_data(as_text=True)
    start = home.index('class="staff-nav"')
    nav = home[start:home.index("</nav>", start)]
    assert 'href="/nl/manage/">Beheer</a>' in nav and 'href="/nl/manage/access-log"' in nav
