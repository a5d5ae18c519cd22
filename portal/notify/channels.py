"""One class per transport: how a message is addressed, rendered and delivered.

A channel names its templates (``<channel>/<template>…``), checks a recipient's address when
the message is queued, renders a kind's context into a ``Rendered``, and delivers a batch of
rendered messages through one transport per worker pass. E-mail is the only channel today;
an SMS channel is one more subclass registered in ``CHANNELS`` plus its ``sms/`` templates.
"""
from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any, ClassVar, Protocol

from flask import current_app

from portal.i18n import _, speaking
from portal.notify.models import Attachment


@dataclass(frozen=True)
class Rendered:
    """A message as its recipient reads it; what the outbox row keeps after sending."""

    subject: str
    body: str
    #: ``Attachment.to_json()`` dicts, the form stored on the row.
    attachments: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Outgoing:
    """A claimed message, copied out of the session: delivery runs with no transaction open."""

    id: int
    recipient: str
    language: str
    subject: str
    body: str
    attachments: list[dict[str, str]]
    created_at: datetime
    attempts: int
    #: The web request that queued it (None: a command), for the log line of its sending.
    request_id: str | None = None
    #: About a sensitive report: the sender's name says nothing of prevention or the police.
    discreet: bool = False


class Transport(Protocol):
    def send(self, message: Outgoing) -> None: ...


class Channel:
    """A transport and its templates. Subclasses set ``name`` and implement the three methods."""

    name: ClassVar[str]

    def check_recipient(self, recipient: str) -> str:
        """The address to store, or ValueError: fail in the caller's transaction, not forever
        in the worker."""
        raise NotImplementedError

    def render(self, template: str, context: dict[str, Any],
               attachments: list[Attachment]) -> Rendered:
        """The message in the language being spoken (the caller sets it)."""
        raise NotImplementedError

    @contextmanager
    def transport(self, config: Mapping[str, Any]) -> Iterator[Transport]:
        """One connection (or equivalent) for a worker's pass."""
        raise NotImplementedError
        yield  # pragma: no cover


def render_text(name: str, context: dict[str, Any]) -> str:
    """A template of the app's Jinja environment, without a request.

    Not ``render_template``: its context processors build page things (the language switch)
    that need a request, and the worker has none. Autoescape is off for .txt names (Flask
    escapes only .html, .htm, .xml, .xhtml, .svg): plain text stays plain.
    """
    return current_app.jinja_env.get_template(name).render(context)


class EmailChannel(Channel):
    """Plain-text e-mail through SMTP, or ``.eml`` files when no mail server is configured."""

    name = "email"

    def check_recipient(self, recipient: str) -> str:
        if "\n" in recipient or "\r" in recipient or "@" not in recipient:
            raise ValueError(f"not an e-mail address: {recipient!r}")
        return recipient.strip()

    def render(self, template: str, context: dict[str, Any],
               attachments: list[Attachment]) -> Rendered:
        subject = render_text(f"email/{template}.subject.txt", context)
        body = render_text(f"email/{template}.txt", context)
        # One line whatever the template does: a line break in a header is an injection.
        # (Line breaks only: a French no-break space before a colon stays what it is.)
        one_line = " ".join(line.strip() for line in subject.splitlines() if line.strip())
        return Rendered(one_line, body.strip("\n") + "\n",
                        [item.to_json() for item in attachments])

    @contextmanager
    def transport(self, config: Mapping[str, Any]) -> Iterator[Transport]:
        sender = config["MAIL_SENDER"]
        if not config["MAIL_SERVER"]:
            yield _FileTransport(Path(config["MAIL_FILE_DIR"]), sender)
            return
        smtp = _SMTPTransport(config)
        try:
            yield smtp
        finally:
            smtp.close()


def sender_in(sender: str, language: str, discreet: bool = False) -> Address:
    """``MAIL_SENDER``'s address under the portal's name in the message's language: a French
    e-mail comes from « Portail de la prévention à Bruxelles », a Dutch one from
    "Preventieportaal Brussel" (the name configured with the address is only a fallback).
    A discreet message (a sensitive report's) comes from the Region's name alone: whoever sees
    the inbox of a racketed pupil must not read "prevention" there."""
    name, address = parseaddr(sender)
    with speaking(language):
        translated = _("Brussels-Capital Region") if discreet else _("Brussels prevention portal")
    username, _at, domain = address.partition("@")
    return Address(display_name=translated or name, username=username, domain=domain)


def build_email(message: Outgoing, sender: str) -> EmailMessage:
    """The MIME message for an outbox row: plain text in the recipient's language, attachments."""
    email = EmailMessage()
    email["From"] = sender_in(sender, message.language, message.discreet)
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


class _FileTransport:
    """No mail server configured (``make run``): each message becomes an .eml file to open."""

    def __init__(self, directory: Path, sender: str) -> None:
        self.directory = directory
        self.sender = sender

    def send(self, message: Outgoing) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{message.created_at:%Y%m%dT%H%M%SZ}-{message.id}.eml"
        partial = path.with_suffix(".part")
        partial.write_bytes(build_email(message, self.sender).as_bytes())
        os.replace(partial, path)  # a reader never sees half a message


class _SMTPTransport:
    """One connection for the whole pass, opened on first use and again after an error."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self.connection: smtplib.SMTP | None = None
        #: Set when connecting failed: the server is down, the rest of the pass fails at once
        #: instead of waiting MAIL_TIMEOUT for each message.
        self.down: Exception | None = None

    def send(self, message: Outgoing) -> None:
        email = build_email(message, self.config["MAIL_SENDER"])
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


#: Every channel by name, as stored in ``OutboxMessage.channel``.
CHANNELS: dict[str, Channel] = {channel.name: channel for channel in (EmailChannel(),)}
