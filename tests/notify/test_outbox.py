"""The outbox: written with the change, sent later in the recipient's language, never lost."""
from __future__ import annotations

import threading
from datetime import date, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from portal.db import utcnow
from portal.extensions import db
from portal.i18n import current_language
from portal.notify import render
from portal.notify.models import Attachment, OutboxMessage
from portal.notify.sender import SendReport, retry_delay, send_due
from portal.notify.services import queue
from tests.smtp import SMTPServer

SENDER = "Portail / Portaal <noreply@prevention.example.be>"
ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nEND:VCALENDAR\r\n"
FOOTER_NL = ("Met vriendelijke groeten,\nHet team van het Preventieportaal Brussel\n\n"
             "-- \nPreventieportaal Brussel\nhttps://prevention.example.be/nl/\n\n"
             "Dit portaal is niet bedoeld voor noodgevallen.\n"
             "Bel 112 (ambulance, brandweer)\nBel 101 (politie)\n")
BODY_NL = ("Preventieportaal Brussel: BXL-42\n27 november 2026\nJan & Piet <jp>\n"
           "https://prevention.example.be/nl/privacy\n\n" + FOOTER_NL)


def queue_notice(app: Flask, recipient: str = "jan@example.be", language: str = "nl",
                 attachments: list[Attachment] | None = None) -> int:
    """Queue the test notice from inside a French request, commit, return its id."""
    with app.test_request_context("/fr/", method="POST"):  # e-mails are queued by changes
        app.preprocess_request()  # runs the URL processor: this request speaks French
        message = queue("test_notice", recipient, language,
                        files=[item.to_json() for item in attachments or []],
                        ref="BXL-42", day=date(2026, 11, 27).isoformat(), name="Jan & Piet <jp>")
        db.session.commit()
        return message.id


def row(app: Flask, message_id: int) -> OutboxMessage:
    with app.app_context():
        message = db.session.get(OutboxMessage, message_id)
        assert message is not None
        db.session.expunge(message)
        return message


def send(app: Flask, **kwargs: Any) -> SendReport:
    with app.app_context():
        return send_due(**kwargs)


def test_queue_stores_kind_and_parameters_and_leaves_commit_to_caller(mail_app: Flask) -> None:
    with mail_app.test_request_context("/fr/", method="POST"):  # e-mails are queued by changes
        mail_app.preprocess_request()
        assert current_language() == "fr"
        message = queue("test_notice", "jan@example.be", "nl", ref="BXL-42",
                        day="2026-11-27", name="Jan & Piet <jp>")
        assert message.id is not None  # flushed
        # Nothing is rendered in the request: the worker renders when it sends.
        assert (message.subject, message.body) == (None, None)
        assert (message.kind, message.channel) == ("test_notice", "email")
        assert message.parameters == {"ref": "BXL-42", "day": "2026-11-27",
                                      "name": "Jan & Piet <jp>"}
        assert (message.language, message.status, message.attempts) == ("nl", "pending", 0)
        rendered = render(message)
        assert current_language() == "fr"  # the request still speaks French
        assert rendered.subject == "Mijn melding opvolgen: BXL-42"
        assert rendered.body == BODY_NL  # not HTML-escaped, links absolute and in Dutch
        db.session.rollback()  # the caller's change failed: its e-mail goes with it
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_sender_name_is_in_the_language_of_each_message(mail_app: Flask) -> None:
    from portal.notify.channels import sender_in

    with mail_app.app_context():
        names = {lang: sender_in(SENDER, lang) for lang in ("fr", "nl", "en")}
    assert {lang: address.display_name for lang, address in names.items()} == {
        "fr": "Portail de la prévention à Bruxelles", "nl": "Preventieportaal Brussel",
        "en": "Brussels prevention portal"}
    assert {address.addr_spec for address in names.values()} == {"noreply@prevention.example.be"}


def test_queue_rejects_header_injection(mail_app: Flask) -> None:
    with mail_app.app_context(), pytest.raises(ValueError):
        queue("test_notice", "a@example.be\nBcc: b@example.be", "nl", ref="", day=None, name="")


def test_queue_rejects_objects_and_unknown_kinds(mail_app: Flask) -> None:
    with mail_app.app_context():
        with pytest.raises(TypeError):  # parameters are ids and plain values
            queue("test_notice", "jan@example.be", "nl", day=date(2026, 11, 27))
        with pytest.raises(KeyError):
            queue("no_such_kind", "jan@example.be", "nl")
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_smtp_delivers_in_dutch_with_attachment(mail_app: Flask, smtp: SMTPServer) -> None:
    smtp.start()
    message_id = queue_notice(mail_app, attachments=[Attachment("session.ics", "text/calendar", ICS)])

    assert send(mail_app) == SendReport(sent=1)

    [envelope] = smtp.inbox.envelopes
    assert envelope.mail_from == "noreply@prevention.example.be"
    assert envelope.rcpt_tos == ["jan@example.be"]
    [mail] = smtp.inbox.messages()
    # The configured address, under the portal's name in the message's language.
    assert mail["From"] == "Preventieportaal Brussel <noreply@prevention.example.be>"
    assert mail["To"] == "jan@example.be"
    assert mail["Subject"] == "Mijn melding opvolgen: BXL-42"
    assert mail["Content-Language"] == "nl"
    assert mail["Message-ID"].endswith(f".{message_id}@prevention.example.be>")
    assert mail["Date"]
    # SMTP carries CRLF line ends; the text is the same.
    assert mail.get_body(("plain",)).get_content().replace("\r\n", "\n") == BODY_NL
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == "session.ics"
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_payload(decode=True) == ICS
    sent = row(mail_app, message_id)
    assert (sent.status, sent.attempts, sent.claimed_until) == ("sent", 0, None)
    assert sent.sent_at is not None


def test_smtp_down_retries_with_backoff_and_loses_nothing(mail_app: Flask,
                                                          smtp: SMTPServer) -> None:
    message_id = queue_notice(mail_app)
    t0 = utcnow()

    assert send(mail_app, now=t0) == SendReport(failed=1)
    first = row(mail_app, message_id)
    assert (first.status, first.attempts, first.claimed_until) == ("pending", 1, None)
    assert first.next_attempt_at == t0 + timedelta(minutes=1)
    assert first.last_error is not None and "Connection" in first.last_error

    assert send(mail_app, now=t0 + timedelta(seconds=30)) == SendReport()  # not due yet
    assert row(mail_app, message_id).attempts == 1

    t1 = t0 + timedelta(seconds=61)
    assert send(mail_app, now=t1) == SendReport(failed=1)
    second = row(mail_app, message_id)
    assert second.attempts == 2
    assert second.next_attempt_at == t1 + timedelta(minutes=2)  # the delay doubled

    smtp.start()
    assert send(mail_app, now=t1 + timedelta(minutes=1)) == SendReport()  # still waiting
    assert send(mail_app, now=t1 + timedelta(minutes=2)) == SendReport(sent=1)
    assert send(mail_app, now=t1 + timedelta(hours=1)) == SendReport()
    assert len(smtp.inbox.envelopes) == 1  # delivered exactly once
    assert smtp.inbox.messages()[0]["Subject"] == "Mijn melding opvolgen: BXL-42"
    delivered = row(mail_app, message_id)
    assert (delivered.status, delivered.attempts) == ("sent", 2)
    assert delivered.sent_at == t1 + timedelta(minutes=2)
    with mail_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_retry_delay_doubles_up_to_six_hours() -> None:
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert retry_delay(9) == timedelta(minutes=256)
    assert retry_delay(10) == retry_delay(10_000) == timedelta(hours=6)


def test_without_mail_server_messages_become_eml_files(mail_app: Flask) -> None:
    mail_app.config["MAIL_SERVER"] = ""
    message_id = queue_notice(mail_app, recipient="marie@example.be", language="fr",
                       attachments=[Attachment("session.ics", "text/calendar", ICS)])

    assert send(mail_app) == SendReport(sent=1)

    message = row(mail_app, message_id)
    assert message.status == "sent"
    files = sorted(Path(mail_app.config["MAIL_FILE_DIR"]).iterdir())
    assert [f.name for f in files] == [f"{message.created_at:%Y%m%dT%H%M%SZ}-{message_id}.eml"]
    mail = BytesParser(policy=policy.default).parsebytes(files[0].read_bytes())
    assert mail["To"] == "marie@example.be"
    assert mail["Subject"] == "Suivre mon signalement: BXL-42"
    assert mail["Content-Language"] == "fr"
    body = mail.get_body(("plain",)).get_content()
    assert body.startswith("Portail de la prévention à Bruxelles: BXL-42\n27 novembre 2026\n")
    assert "https://prevention.example.be/fr/privacy\n" in body
    assert "Ce portail n'est pas destiné aux urgences.\nAppelez le 112 (ambulance, pompiers)\n" in body
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_payload(decode=True) == ICS
    assert send(mail_app) == SendReport()  # written once


def test_two_workers_racing_send_each_message_once(mail_app: Flask, smtp: SMTPServer) -> None:
    smtp.start()
    recipients = [f"resident{n}@example.be" for n in range(12)]
    for recipient in recipients:
        queue_notice(mail_app, recipient=recipient)
    start = threading.Barrier(2)
    # Left to chance the two claims hardly ever overlap; hold each worker's first claim open
    # until the other has made its own, so that both select at the same time. On SQLite the
    # second worker's BEGIN IMMEDIATE waits for the first to commit: the hold times out.
    overlap = threading.Barrier(2, timeout=2)
    first_claim_done = threading.local()
    workers: list[threading.Thread] = []

    def hold_first_claim(_connection: Any) -> None:
        if threading.current_thread() in workers and not getattr(first_claim_done, "v", False):
            first_claim_done.v = True
            try:
                overlap.wait()
            except threading.BrokenBarrierError:
                pass

    reports: list[SendReport] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with mail_app.app_context():
                start.wait()
                while True:  # small batches, so that both workers keep claiming
                    report = send_due(limit=2)
                    reports.append(report)
                    if report == SendReport():
                        return
        except BaseException as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)

    with mail_app.app_context():
        engine = db.engine
    event.listen(engine, "commit", hold_first_claim)
    try:
        workers.extend(threading.Thread(target=worker) for _ in range(2))
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(timeout=60)
    finally:
        event.remove(engine, "commit", hold_first_claim)

    assert errors == []
    assert sum(r.sent for r in reports) == 12
    assert sum(r.failed + r.skipped for r in reports) == 0
    assert sorted(r for e in smtp.inbox.envelopes for r in e.rcpt_tos) == sorted(recipients)
    with mail_app.app_context():
        statuses = db.session.scalars(select(OutboxMessage.status)).all()
    assert statuses == ["sent"] * 12


def test_cli_send_prints_counts(mail_app: Flask) -> None:
    mail_app.config["MAIL_SERVER"] = ""
    queue_notice(mail_app)
    queue_notice(mail_app, recipient="marie@example.be", language="fr")
    runner = mail_app.test_cli_runner()

    first = runner.invoke(args=["portal", "outbox", "send"])
    assert (first.exit_code, first.output) == (0, "Outbox: 2 sent, 0 failed, 0 skipped.\n")
    second = runner.invoke(args=["portal", "outbox", "send"])
    assert second.output == "Outbox: 0 sent, 0 failed, 0 skipped.\n"


def test_cli_counts_failures(mail_app: Flask, smtp: SMTPServer) -> None:
    queue_notice(mail_app)  # the server is not started
    result = mail_app.test_cli_runner().invoke(args=["portal", "outbox", "send"])
    assert (result.exit_code, result.output) == (0, "Outbox: 0 sent, 1 failed, 0 skipped.\n")


def test_cli_worker_survives_database_errors(mail_app: Flask, monkeypatch: pytest.MonkeyPatch,
                                             caplog: pytest.LogCaptureFixture) -> None:
    from portal.notify import sender

    mail_app.config["MAIL_SERVER"] = ""
    message_id = queue_notice(mail_app)
    real_send_due = sender.send_due
    calls: list[int] = []
    sleeps: list[float] = []

    def flaky(**kwargs: Any) -> SendReport:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("SELECT", {}, Exception("server closed the connection"))
        return real_send_due(**kwargs)

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 2:
            raise KeyboardInterrupt  # the operator stops the worker

    monkeypatch.setattr(sender, "send_due", flaky)
    monkeypatch.setattr("portal.cli.time.sleep", sleep)
    result = mail_app.test_cli_runner().invoke(
        args=["portal", "outbox", "send", "--loop", "--interval", "0.5"])

    assert result.exit_code == 0
    assert result.output == "Outbox: 1 sent, 0 failed, 0 skipped.\nOutbox worker stopped.\n"
    assert sleeps == [0.5, 0.5]
    assert "outbox: database error" in caplog.text
    assert row(mail_app, message_id).status == "sent"


def test_rendered_when_sent_and_kept_as_history(mail_app: Flask) -> None:
    mail_app.config["MAIL_SERVER"] = ""
    message_id = queue_notice(mail_app)
    assert (row(mail_app, message_id).subject, row(mail_app, message_id).body) == (None, None)

    assert send(mail_app) == SendReport(sent=1)

    sent = row(mail_app, message_id)
    assert sent.status == "sent"
    assert (sent.subject, sent.body) == ("Mijn melding opvolgen: BXL-42", BODY_NL)
    with mail_app.app_context():  # what the person was told, read back without rendering again
        assert render(sent).body == BODY_NL


def test_a_message_whose_objects_are_gone_is_dropped_once(mail_app: Flask) -> None:
    mail_app.config["MAIL_SERVER"] = ""
    with mail_app.app_context():
        gone = queue("test_notice", "jan@example.be", "nl", ref="BXL-42", gone=True).id
        db.session.commit()
    kept = queue_notice(mail_app)

    assert send(mail_app) == SendReport(sent=1, dropped=1)
    assert send(mail_app) == SendReport()  # not retried
    dropped = row(mail_app, gone)
    assert (dropped.status, dropped.attempts, dropped.body) == ("dropped", 0, None)
    assert dropped.last_error == "Gone: the test notice's object"
    assert row(mail_app, kept).status == "sent"
