"""Request logs: one line per request with an id that the outbox worker logs again, and no
personal data anywhere in what the app and the worker write."""
from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.notify.models import OutboxMessage
from tests.conftest import base_settings, csrf_token
from tests.courses.helpers import make_session, post_sign_up, token_of
from tests.outbox import rendered
from tests.reports.helpers import post_report
from tests.staff import make_user

EMAIL = "lea.vermeulen.private@example.org"
PHONE = "+32 470 98 76 54"
DESCRIPTION = "Mon voisin Jean-Pierre Dubois casse les rétroviseurs tous les soirs"
STAFF_EMAIL = "anna.known@ixelles.example"
SIGN_UP_NAME = "Amina Lambertini"
SIGN_UP_EMAIL = "amina.private@example.be"
SIGN_UP_PHONE = "0470 55 66 77"
QUERY_MARK = "utm_campaign=QUERYMARK"


@pytest.fixture
def json_app(app: Flask) -> Iterator[Flask]:
    """The portal writing its logs as JSON (what PORTAL_LOG_FORMAT=json selects)."""
    from portal.requestlog import configure_logging

    configure_logging("json")
    yield app
    configure_logging("text")  # the next test's app starts from the default


def _link(body: str, pattern: str) -> str:
    match = re.search(pattern, body)
    assert match, body
    return match.group(1)


def test_no_personal_data_in_the_logs_of_the_app_and_the_worker(
        json_app: Flask, capfd: pytest.CaptureFixture[str]) -> None:
    from portal.accounts.services import handle_reset_requests
    from portal.notify.sender import send_due

    make_user(json_app, STAFF_EMAIL, "staff", ("21009",))
    session_id = make_session(json_app)
    capfd.readouterr()  # set-up done: capture from here
    client = json_app.test_client()
    responses = []

    filed = post_report(client, email=EMAIL, phone=PHONE, description=DESCRIPTION)
    responses.append(filed)
    assert filed.status_code == 303
    with json_app.app_context():
        confirmation = db.session.scalars(select(OutboxMessage)
                                          .where(OutboxMessage.recipient == EMAIL)).one()
        tracking_secret = _link(rendered(confirmation).body, r"/track/([A-Za-z0-9_-]+)")
        confirmation_request = confirmation.request_id
    responses.append(client.get(f"/fr/track/{tracking_secret}?{QUERY_MARK}&email={EMAIL}"))
    assert responses[-1].status_code == 303

    page = client.get("/fr/manage/password/reset")
    responses.append(page)
    responses.append(client.post("/fr/manage/password/reset",
                                 data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                       "email": STAFF_EMAIL}))
    assert responses[-1].status_code == 303
    with json_app.app_context():
        handle_reset_requests()  # the worker's step that makes the link (see accounts.services)
        db.session.commit()
        reset = db.session.scalars(select(OutboxMessage)
                                   .where(OutboxMessage.recipient == STAFF_EMAIL)).one()
        reset_token = _link(rendered(reset).body, r"/password/reset/([A-Za-z0-9_.-]+)")
    responses.append(client.get(f"/fr/manage/password/reset/{reset_token}"))
    assert responses[-1].status_code == 200

    signed_up = post_sign_up(client, session_id, name=SIGN_UP_NAME, email=SIGN_UP_EMAIL,
                             phone=SIGN_UP_PHONE)
    booking_token = token_of(signed_up)
    responses += [signed_up, client.get(f"/fr/courses/booking/{booking_token}")]
    assert responses[-1].status_code == 200

    with json_app.app_context():
        report = send_due()
        assert report.sent == 3 and report.failed == 0
        queued = {row.recipient: row.request_id
                  for row in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))}
    logs = capfd.readouterr().err

    secrets = [EMAIL, PHONE, PHONE.replace(" ", ""), DESCRIPTION, "Jean-Pierre", tracking_secret,
               STAFF_EMAIL, reset_token, SIGN_UP_NAME, SIGN_UP_EMAIL, SIGN_UP_PHONE,
               booking_token, "QUERYMARK", "utm_campaign", "example.org", "example.be"]
    assert [secret for secret in secrets if secret in logs] == []

    lines = [json.loads(line) for line in logs.splitlines() if line.strip()]
    request_lines = [line for line in lines if line["logger"] == "portal.request"]
    # Every request (the form pages the helpers open included) has its line, with the id it
    # answered with.
    assert {line["request_id"] for line in request_lines} >= {
        r.headers["X-Request-ID"] for r in responses}
    assert all(re.fullmatch(r"[0-9a-f]{16}", line["request_id"]) for line in request_lines)
    by_id = {line["request_id"]: line for line in request_lines}
    assert by_id[filed.headers["X-Request-ID"]]["path"] == "/fr/report/new/vandalism"
    assert by_id[filed.headers["X-Request-ID"]]["status"] == 303
    assert by_id[responses[1].headers["X-Request-ID"]]["path"] == "/fr/track/[redacted]"
    assert by_id[responses[4].headers["X-Request-ID"]]["path"] == \
        "/fr/manage/password/reset/[redacted]"
    assert by_id[responses[-1].headers["X-Request-ID"]]["path"] == \
        "/fr/courses/booking/[redacted]"

    # The e-mail a request caused carries the request's id, and the worker logs it when it sends.
    assert queued == {EMAIL: filed.headers["X-Request-ID"],
                      STAFF_EMAIL: responses[3].headers["X-Request-ID"],
                      SIGN_UP_EMAIL: signed_up.headers["X-Request-ID"]}
    assert confirmation_request == filed.headers["X-Request-ID"]
    sent = {line["request_id"] for line in lines
            if re.fullmatch(r"outbox message \d+ sent", line["message"])}
    assert sent == set(queued.values())


def test_a_text_line_per_request_and_the_id_of_a_trusted_proxy(
        tmp_path: Path, geo_cache: Path, capfd: pytest.CaptureFixture[str]) -> None:
    from portal import create_app

    direct = create_app(base_settings(tmp_path / "a", geo_cache)).test_client()
    proxied = create_app(base_settings(tmp_path / "b", geo_cache, TRUST_PROXY=True)).test_client()
    capfd.readouterr()
    own = direct.get("/fr/", headers={"X-Request-ID": "proxy-id-12345"})
    kept = proxied.get("/fr/", headers={"X-Request-ID": "proxy-id-12345"})
    refused = proxied.get("/fr/", headers={"X-Request-ID": "bad id; with spaces"})
    logs = capfd.readouterr().err.splitlines()
    as_json = create_app(base_settings(tmp_path / "c", geo_cache, LOG_FORMAT="json"))
    capfd.readouterr()
    json_id = as_json.test_client().get("/fr/").headers["X-Request-ID"]
    json_lines = capfd.readouterr().err.splitlines()
    create_app(base_settings(tmp_path / "d", geo_cache))  # back to text for the next tests

    assert [json.loads(line) for line in json_lines] == [{
        "time": json.loads(json_lines[0])["time"], "level": "INFO", "logger": "portal.request",
        "request_id": json_id, "message": json.loads(json_lines[0])["message"], "method": "GET",
        "path": "/fr/", "status": 200, "duration_ms": json.loads(json_lines[0])["duration_ms"],
        "endpoint": "site.home"}]

    assert re.fullmatch(r"[0-9a-f]{16}", own.headers["X-Request-ID"])
    assert kept.headers["X-Request-ID"] == "proxy-id-12345"
    assert re.fullmatch(r"[0-9a-f]{16}", refused.headers["X-Request-ID"])
    for response in (own, kept, refused):
        rid = response.headers["X-Request-ID"]
        mine = [line for line in logs if f"[{rid}]" in line and " portal.request " in line]
        assert len(mine) == 1
        assert re.search(rf" INFO portal\.request \[{rid}\] GET /fr/ 200 [0-9.]+ ms$", mine[0])


def test_an_address_no_rule_matches_is_cut_and_e_mails_are_scrubbed(
        tmp_path: Path, geo_cache: Path, capfd: pytest.CaptureFixture[str]) -> None:
    from portal import create_app

    app = create_app(base_settings(tmp_path, geo_cache))
    capfd.readouterr()
    app.test_client().get("/fr/track/a-secret-with/a-slash/more?x=1")
    app.logger.warning("refused by the server: <%s>", EMAIL)
    logs = capfd.readouterr().err
    assert " GET /fr/track/… 404 " in logs
    assert "a-secret-with" not in logs and EMAIL not in logs
    assert "refused by the server: <[e-mail]>" in logs


def test_the_development_server_writes_no_access_line(
        web_app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    import requests
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, web_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    with caplog.at_level(logging.INFO):
        thread.start()
        try:
            answer = requests.get(f"http://127.0.0.1:{server.server_port}/fr/track/"
                                  f"secret-of-the-link/x?{QUERY_MARK}", timeout=60)
        finally:
            server.shutdown()
            thread.join(timeout=60)
    assert answer.status_code == 404
    assert [r.name for r in caplog.records if "GET" in r.getMessage()] == ["portal.request"]
    assert "secret-of-the-link" not in caplog.text and "QUERYMARK" not in caplog.text


def test_database_errors_leave_out_the_values_of_their_statements(app: Flask) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    with app.app_context(), pytest.raises(SQLAlchemyError) as caught:
        db.session.execute(text("INSERT INTO no_such_table (email) VALUES (:email)"),
                           {"email": EMAIL})
    assert "no_such_table" in str(caught.value)
    assert EMAIL not in str(caught.value)


@pytest.mark.parametrize(("text", "expected"), [
    ("refused a.b-c+d@example.org now", "refused [e-mail] now"),
    ("<jan@ex.be>, (x@y.brussels)", "<[e-mail]>, ([e-mail])"),
    ("to=name@x.com; cc", "[e-mail]; cc"),
    ("a@b@c.de", "[e-mail]"),  # an address right after another "@" is found as well
    ("x@localhost GET /fr/report/ 200 3.1 ms", "x@localhost GET /fr/report/ 200 3.1 ms"),
])
def test_scrub_finds_addresses_in_any_text(text: str, expected: str) -> None:
    from portal.requestlog import scrub

    assert scrub(text) == expected


def test_scrub_reads_a_long_hostile_path_in_one_pass() -> None:
    """A 200 KB word with an "@" and no domain, and one with a domain at its very end: the old
    pattern backtracked over such a word for minutes (seen in the fuzz tests); now each is one word."""
    from portal.requestlog import scrub

    hostile = "A" * 100_000 + "@" + "b" * 100_000
    assert scrub(f"GET /{hostile} 404") == f"GET /{hostile} 404"
    assert scrub(f"GET /{hostile}.be 404") == "GET [e-mail] 404"
