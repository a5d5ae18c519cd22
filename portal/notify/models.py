"""The outbox: messages waiting to be sent, written in the transaction that causes them."""
from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import utcnow
from portal.extensions import Model

PENDING = "pending"
SENT = "sent"
#: What the message spoke of was erased or deleted before it could be rendered: never sent.
DROPPED = "dropped"


@dataclass(frozen=True)
class Attachment:
    """A file sent with an e-mail, such as a course session's ``.ics``."""

    filename: str
    content_type: str
    data: bytes

    def to_json(self) -> dict[str, str]:
        """The form stored in ``OutboxMessage.attachments`` (JSON has no bytes: base64)."""
        return {"filename": self.filename, "content_type": self.content_type,
                "data": base64.b64encode(self.data).decode("ascii")}

    @classmethod
    def from_json(cls, item: dict[str, str]) -> Attachment:
        """Read back what ``to_json`` stored."""
        return cls(item["filename"], item["content_type"], base64.b64decode(item["data"]))


class OutboxMessage(Model):
    """One message to one person, kept after sending: nothing is lost, nothing is deleted here.

    Queued as a kind with its parameters; the worker renders it when it first tries to send it
    and keeps the rendered text (what the person was told). Rows from before the kinds have no
    kind and were rendered when queued.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        # The worker's only query: pending messages whose time has come.
        Index("ix_outbox_message_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 320 characters: the longest address RFC 5321 allows (64 + "@" + 255).
    recipient: Mapped[str] = mapped_column(String(320))
    #: What happened, e.g. "report_received": a kind registered in ``portal.notify.kinds``.
    kind: Mapped[str | None] = mapped_column(String(64))
    #: The transport, a key of ``portal.notify.channels.CHANNELS``.
    channel: Mapped[str] = mapped_column(String(16), default="email", server_default="email")
    #: The kind's parameters: ids and plain values (JSON), never objects.
    parameters: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: What the message is about, e.g. "report:42": the history of one report's messages.
    about: Mapped[str | None] = mapped_column(String(40), index=True)
    #: The rendered text: None until the worker renders the message, then kept as history.
    subject: Mapped[str | None] = mapped_column(Text)
    #: Plain text only: read on cheap phones, and nothing to sanitize.
    body: Mapped[str | None] = mapped_column(Text)
    #: The recipient's language ("fr", "nl", "en"): rendered in it, sent as Content-Language.
    language: Mapped[str] = mapped_column(String(2))
    #: A list of ``Attachment.to_json()`` dicts: {"filename", "content_type", "data" (base64)},
    #: built when the message is rendered.
    attachments: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: "pending" until a mail server accepted it (or the .eml file was written), then "sent";
    #: "dropped" when what it spoke of was gone before it was rendered.
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    #: Failed attempts so far; the delay before the next one doubles with each.
    attempts: Mapped[int] = mapped_column(default=0)
    #: Not tried before this moment (now when queued, later after each failure).
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: A worker is sending it until then; once past, the claim is void and another may take it.
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    #: What went wrong the last time, for the operator; kept after success as history.
    last_error: Mapped[str | None] = mapped_column(Text)
    #: The id of the web request that queued it (portal.requestlog): the worker logs it when it
    #: sends, so one request's line and its e-mail's line can be found together. None: a command.
    request_id: Mapped[str | None] = mapped_column(String(64))
