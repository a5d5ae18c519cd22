"""Hostile input on the staff log-in, the authenticator code and the password reset."""
from __future__ import annotations

from urllib.parse import quote, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import strategies as st
from sqlalchemy import select

from portal.accounts.models import PasswordReset, StaffUser
from portal.extensions import db
from tests.conftest import csrf_token
from tests.fuzz.hostile import ENCODINGS, body, check_page, count, hostile, mutate, run, texts_of
from tests.staff import PASSWORD, make_user

STAFF = "staff@ixelles.example"
COORDINATOR = "coord@region.example"


def posted(client: FlaskClient, url: str, pairs: list, encoding: str) -> tuple[object, list]:
    """POST ``pairs`` to the form at ``url``, with the page's CSRF token unless it was mutated."""
    page = check_page(client.get(url.split("?")[0]))  # the token is the session's, not the URL's
    if "csrf_token" not in {name for name, _value in pairs}:
        pairs = [*pairs, ("csrf_token", csrf_token(page))]
    return client.post(url, **body(pairs, encoding)), pairs


def test_login_survives_hostile_fields(app: Flask) -> None:
    make_user(app, STAFF, "staff", ("21009",))
    logged_in = {"n": 0}

    def check(value: tuple) -> None:
        pairs, encoding, next_target = value
        client = app.test_client()
        url = "/fr/manage/login" + (f"?next={quote(next_target, safe='')}" if next_target else "")
        response, pairs = posted(client, url, pairs, encoding)
        check_page(response, texts_of(pairs) + [next_target])
        assert response.status_code in (303, 400, 413, 422), response.status_code
        if response.status_code == 303:
            logged_in["n"] += 1
            target = urlsplit(response.headers["Location"])
            assert target.netloc in ("", "localhost"), response.headers["Location"]  # never another site
            assert target.path.startswith("/"), response.headers["Location"]
        with app.app_context():
            user = db.session.scalar(select(StaffUser).where(StaffUser.email == STAFF))
            assert 0 <= user.failed_logins < 5
            db.session.remove()
        reset_lock(app)

    run(app, 25, 12, st.tuples(mutate({"email": STAFF, "password": PASSWORD},
                                      ("email", "password", "csrf_token")),
                               st.sampled_from(ENCODINGS),
                               st.one_of(st.just(""), hostile(), st.sampled_from((
                                   "//evil.example/", "https://evil.example/", "/\\evil.example",
                                   "\\\\evil.example", "/%2F%2Fevil.example", "javascript:alert(1)",
                                   "/fr/manage/reports?q=<script>alert(1)</script>", " //evil.example",
                                   "/\t/evil.example", "/\r\n/evil.example")))), check,
        ([("email", STAFF), ("password", PASSWORD)], "urlencoded", "//evil.example/"),
        ([("email", STAFF), ("password", PASSWORD)], "multipart", "/\t/evil.example"))
    assert logged_in["n"] >= 1


def reset_lock(app: Flask) -> None:
    """Failed attempts would lock the account after five: start each example unlocked."""
    with app.app_context():
        for user in db.session.scalars(select(StaffUser)):
            user.failed_logins, user.locked_until = 0, None
        db.session.commit()
        db.session.remove()


def test_second_factor_survives_hostile_codes(app: Flask) -> None:
    make_user(app, COORDINATOR, "coordinator")
    client = app.test_client()

    def pending() -> None:
        with client.session_transaction() as session:
            if session.get("second_factor"):
                return
        page = client.get("/fr/manage/login").get_data(as_text=True)
        response = client.post("/fr/manage/login", data={"csrf_token": csrf_token(page), "email": COORDINATOR,
                                                        "password": PASSWORD})
        assert response.status_code == 303 and response.headers["Location"].endswith("/login/code")

    def check(value: tuple) -> None:
        pairs, encoding = value
        pending()
        response, pairs = posted(client, "/fr/manage/login/code", pairs, encoding)
        check_page(response, texts_of(pairs))
        assert response.status_code in (400, 413, 422), response.status_code
        with app.app_context():
            user = db.session.scalar(select(StaffUser).where(StaffUser.email == COORDINATOR))
            assert user.totp_secret is None and user.last_login_at is None  # never let in
            db.session.remove()
        reset_lock(app)  # wrong codes count towards the lock

    run(app, 30, 12, st.tuples(mutate({"code": "123456"}, ("code", "csrf_token")),
                               st.sampled_from(ENCODINGS)), check,
        ([("code", "12345\u00b2")], "urlencoded"), ([("code", "\uff11\uff12\uff13\uff14\uff15\uff16")], "multipart"))


def test_reset_request_survives_hostile_fields(app: Flask) -> None:
    make_user(app, STAFF, "staff", ("21009",))
    client = app.test_client()

    def check(value: tuple) -> None:
        pairs, encoding = value
        before = count(app, PasswordReset)
        response, pairs = posted(client, "/nl/manage/password/reset", pairs, encoding)
        check_page(response, texts_of(pairs))
        assert response.status_code in (303, 400, 413, 422), response.status_code
        assert count(app, PasswordReset) - before in (0, 1)

    run(app, 30, 12, st.tuples(mutate({"email": STAFF}, ("email", "csrf_token")),
                               st.sampled_from(ENCODINGS)), check)


def test_reset_with_token_survives_hostile_tokens_and_passwords(app: Flask) -> None:
    from portal.accounts.services import start_password_reset

    make_user(app, STAFF, "staff", ("21009",))
    client = app.test_client()

    def fresh_token() -> str:
        with app.app_context():
            _user, secret = start_password_reset(STAFF)
            db.session.commit()
            return secret

    def check(value: tuple) -> None:
        token, pairs, encoding = value
        # A made-up token: the "link no longer works" page, for GET and POST alike.
        for method in ("GET", "POST"):
            response = client.open(f"/fr/manage/password/reset/{quote(token, safe='')}", method=method)
            check_page(response, [token])
            assert response.status_code in (404, 400), response.status_code
        secret = fresh_token()
        with app.app_context():
            hash_before = db.session.scalar(select(StaffUser.password_hash))
            db.session.remove()
        response, pairs = posted(client, f"/fr/manage/password/reset/{secret}", pairs, encoding)
        check_page(response, texts_of(pairs))
        assert response.status_code in (303, 400, 413, 422), response.status_code
        with app.app_context():
            changed = db.session.scalar(select(StaffUser.password_hash)) != hash_before
            spent = db.session.scalar(select(PasswordReset.used_at).where(
                PasswordReset.id == db.session.scalar(select(PasswordReset.id).order_by(PasswordReset.id.desc()))))
            db.session.remove()
        # Both or neither: a changed password spends the link, a refused one leaves it open.
        assert changed == (spent is not None) == (response.status_code == 303), (changed, spent, response.status_code)

    strong = "another long enough password"
    run(app, 20, 8, st.tuples(hostile().filter(bool),
                               mutate({"password": strong, "confirm": strong},
                                      ("password", "confirm", "csrf_token")),
                               st.sampled_from(ENCODINGS)), check,
        ("x", [("password", "é" * 12 + "<script>"), ("confirm", "é" * 12 + "<script>")], "urlencoded"))
