"""Read the outbox as recipients will: each message rendered the way the worker renders it."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.notify import render
from portal.notify.models import OutboxMessage


@dataclass(frozen=True)
class Mail:
    """An outbox row with its rendered text (the row itself stays unrendered)."""

    id: int
    recipient: str
    language: str
    kind: str | None
    status: str
    subject: str
    body: str
    attachments: list[dict[str, str]]


def rendered(message: OutboxMessage) -> Mail:
    """``message`` rendered now (needs an app context), as the worker would send it."""
    text = render(message)
    return Mail(message.id, message.recipient, message.language, message.kind, message.status,
                text.subject, text.body, text.attachments)


def mails(app: Flask, recipient: str | None = None) -> list[Mail]:
    """Every message of the outbox (or those to ``recipient``), oldest first, rendered."""
    with app.app_context():
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if recipient is not None:
            query = query.where(OutboxMessage.recipient == recipient)
        return [rendered(message) for message in db.session.scalars(query)]
