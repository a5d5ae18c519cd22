"""The outbox worker's pass: claim the due messages, send them, schedule a retry for failures."""
from __future__ import annotations

import os
import smtplib
import ssl
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import or_, select, update

from portal.db import utcnow
from portal.extensions import db
from portal.i18n import _, speaking
from portal.notify.models import PENDING, SENT, Attachment, OutboxMessage

#: How long a worker holds the messages it took; after that another worker may take them.
CLAIM = timedelta(minutes=5)
#: No new message is started after this much of a pass, so that a slow server can never make a
#: claim run out while its message is still being sent (which would let a second worker send it).
SEND_BUDGET = timedelta(minutes=4)
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=6)


@dataclass
class SendReport:
    """What one pass did: ``skipped`` messages were claimed but left for the next pass."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0


@dataclass(frozen=True)
class _Claimed:
    """A claimed message, copied out of the session: sending runs with no transaction open."""

    id: int
    recipient: str
    subject: str
    body: str
    language: str
    attachments: list[dict[str, str]]
    created_at: datetime
    attempts: int
    #: The web request that queued it (None: a command), for the log line of its sending.
    request_id: str | None = None


def retry_delay(attempts: int) -> timedelta:
    """1 min after the first failure, doubling up to 6 h: a long outage is not hammered."""
    return min(FIRST_RETRY * 2 ** min(attempts - 1, 16), MAX_RETRY)


def send_due(*, now: datetime | None = None, limit: int = 100) -> SendReport:
    """Send what is due; it commits its own short transactions, so it belongs in a worker.

    :param now: the clock of this pass (tests move it forward instead of sleeping).
    """
    now = now or utcnow()
    report = SendReport()
    claimed = _claim(now, limit)
    if not claimed:
        return report
    started = time.monotonic()
    with _transport(current_app.config) as transport:
        for index, message in enumerate(claimed):
            if time.monotonic() - started > SEND_BUDGET.total_seconds():
                _release([m.id for m in claimed[index:]])
                report.skipped += len(claimed) - index
                break
            try:
                transport.send(build_email(message, current_app.config["MAIL_SENDER"]), message)
            except Exception as error:  # noqa: BLE001 - one bad message must not stop the others
                _record_failure(message, error, now)
                report.failed += 1
            else:
                _record_success(message, now)
                report.sent += 1
    return report


def _claim(now: datetime, limit: int) -> list[_Claimed]:
    """Take up to ``limit`` due messages in one short transaction."""
    due = (
        select(OutboxMessage)
        .where(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now,
               or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        # PostgreSQL: rows another worker is claiming right now are passed over, not waited for,
        # and a row it claimed meanwhile is re-checked against the WHERE clause and dropped.
        # SQLite renders no FOR UPDATE; its BEGIN IMMEDIATE (portal/db.py) runs claims one
        # after the other, so the second sees the first one's claimed_until.
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    rows = db.session.scalars(due).all()
    claimed = []
    for row in rows:
        row.claimed_until = now + CLAIM
        claimed.append(_Claimed(row.id, row.recipient, row.subject, row.body, row.language,
                                list(row.attachments), row.created_at, row.attempts,
                                row.request_id))
    db.session.commit()
    return claimed


def _record_success(message: _Claimed, now: datetime) -> None:
    # The request's id, not the recipient: the log says which request's message went out.
    current_app.logger.info("outbox message %s sent", message.id,
                            extra={"request_id": message.request_id or "-"})
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id)
                       .values(status=SENT, sent_at=now, claimed_until=None))
    db.session.commit()


def _record_failure(message: _Claimed, error: Exception, now: datetime) -> None:
    attempts = message.attempts + 1  # we hold the claim: nobody else changed it
    text = f"{type(error).__name__}: {error}"[:2000]
    # A refused recipient's address is in the server's answer: the log says where, not whom.
    current_app.logger.warning("outbox message %s failed (attempt %s): %s",
                               message.id, attempts, text.replace(message.recipient, "[recipient]"),
                               extra={"request_id": message.request_id or "-"})
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id)
                       .values(attempts=attempts, next_attempt_at=now + retry_delay(attempts),
                               last_error=text, claimed_until=None))
    db.session.commit()


def _release(ids: list[int]) -> None:
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids))
                       .values(claimed_until=None))
    db.session.commit()


def sender_in(sender: str, language: str) -> Address:
    """``MAIL_SENDER``'s address under the portal's name in the message's language: a French
    e-mail comes from « Portail de la prévention à Bruxelles », a Dutch one from
    "Preventieportaal Brussel" (the name configured with the address is only a fallback)."""
    name, address = parseaddr(sender)
    with speaking(language):
        translated = _("Brussels prevention portal")
    username, _at, domain = address.partition("@")
    return Address(display_name=translated or name, username=username, domain=domain)


def build_email(message: _Claimed, sender: str) -> EmailMessage:
    """The MIME message for an outbox row: plain text in the recipient's language, attachments."""
    email = EmailMessage()
    email["From"] = sender_in(sender, message.language)
    email["To"] = message.recipient
    email["Subject"] = message.subject
    # The moment the message was written (RFC 5322), not the moment a retry got through.
    email["Date"] = format_datetime(message.created_at)
    # Stable across retries: if a server took a message but the connection broke before it said
    # so, the retry carries the same Message-ID and mail systems can drop the duplicate.
    domain = parseaddr(sender)[1].rpartition("@")[2] or "portal.localhost"
    email["Message-ID"] = f"<outbox.{message.created_at:%Y%m%d%H%M%S}.{message.id}@{domain}>"
    # Quoted-printable: 7-bit safe through any relay (smtplib does not negotiate 8BITMIME).
    email.set_content(message.body, cte="quoted-printable")
    for item in message.attachments:
        attachment = Attachment.from_json(item)
        maintype, _, subtype = attachment.content_type.partition("/")
        email.add_attachment(attachment.data, maintype=maintype, subtype=subtype or "octet-stream",
                             filename=attachment.filename)
    # Last: set_content() clears Content-* headers and add_attachment() moves them to the text
    # part; the language belongs to the whole message.
    email["Content-Language"] = message.language
    return email


class _Transport(Protocol):
    def send(self, email: EmailMessage, message: _Claimed) -> None: ...


@contextmanager
def _transport(config: Mapping[str, Any]) -> Iterator[_Transport]:
    if not config["MAIL_SERVER"]:
        yield _FileTransport(Path(config["MAIL_FILE_DIR"]))
        return
    smtp = _SMTPTransport(config)
    try:
        yield smtp
    finally:
        smtp.close()


class _FileTransport:
    """No mail server configured (``make run``): each message becomes an .eml file to open."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, email: EmailMessage, message: _Claimed) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{message.created_at:%Y%m%dT%H%M%SZ}-{message.id}.eml"
        partial = path.with_suffix(".part")
        partial.write_bytes(email.as_bytes())
        os.replace(partial, path)  # a reader never sees half a message


class _SMTPTransport:
    """One connection for the whole pass, opened on first use and again after an error."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self.connection: smtplib.SMTP | None = None
        #: Set when connecting failed: the server is down, the rest of the pass fails at once
        #: instead of waiting MAIL_TIMEOUT for each message.
        self.down: Exception | None = None

    def send(self, email: EmailMessage, message: _Claimed) -> None:
        if self.down is not None:
            raise self.down
        if self.connection is None:
            try:
                self.connection = self._connect()
            except Exception as error:
                self.down = error
                raise
        try:
            self.connection.send_message(email, to_addrs=[message.recipient])
        except Exception:
            self.close()  # the connection may be in any state: the next message reconnects
            raise

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        host, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"]
        # An explicit context: smtplib's default one does not check the server's certificate.
        context = ssl.create_default_context()
        connection: smtplib.SMTP
        if config["MAIL_USE_SSL"]:
            connection = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            connection = smtplib.SMTP(host, port, timeout=timeout)
        try:
            if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
                connection.starttls(context=context)
            if config["MAIL_USERNAME"]:
                connection.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        except Exception:
            connection.close()
            raise
        return connection

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                self.connection.close()
            self.connection = None
