"""The outbox: e-mails waiting to be sent, written in the transaction that causes them."""
from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import utcnow
from portal.extensions import Model

PENDING = "pending"
SENT = "sent"


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
    """One e-mail to one person, kept after sending: nothing is lost, nothing is deleted here."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        # The worker's only query: pending messages whose time has come.
        Index("ix_outbox_message_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 320 characters: the longest address RFC 5321 allows (64 + "@" + 255).
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    #: Plain text only: read on cheap phones, and nothing to sanitize.
    body: Mapped[str] = mapped_column(Text)
    #: The recipient's language ("fr", "nl", "en"): rendered in it, sent as Content-Language.
    language: Mapped[str] = mapped_column(String(2))
    #: A list of ``Attachment.to_json()`` dicts: {"filename", "content_type", "data" (base64)}.
    attachments: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: "pending" until a mail server accepted it (or the .eml file was written), then "sent".
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
