"""The outbox worker's pass: claim the due messages, render them, send them through their
channel, schedule a retry for failures."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby

from flask import current_app
from sqlalchemy import or_, select, update

from portal.db import utcnow
from portal.extensions import db
from portal.notify.channels import CHANNELS, Outgoing
from portal.notify.kinds import Gone
from portal.notify.models import DROPPED, PENDING, SENT, OutboxMessage
from portal.notify.render import render
from portal.notify.services import DISCREET

#: How long a worker holds the messages it took; after that another worker may take them.
CLAIM = timedelta(minutes=5)
#: No new message is started after this much of a pass, so that a slow server can never make a
#: claim run out while its message is still being sent (which would let a second worker send it).
SEND_BUDGET = timedelta(minutes=4)
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=6)


@dataclass
class SendReport:
    """What one pass did: ``skipped`` messages were claimed but left for the next pass;
    ``dropped`` ones spoke of something erased or deleted meanwhile."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0
    dropped: int = 0


def retry_delay(attempts: int) -> timedelta:
    """1 min after the first failure, doubling up to 6 h: a long outage is not hammered."""
    return min(FIRST_RETRY * 2 ** min(attempts - 1, 16), MAX_RETRY)


def send_due(*, now: datetime | None = None, limit: int = 100) -> SendReport:
    """Send what is due; it commits its own short transactions, so it belongs in a worker.

    :param now: the clock of this pass (tests move it forward instead of sleeping).
    """
    now = now or utcnow()
    report = SendReport()
    claimed = _claim(now, limit, report)
    if not claimed:
        return report
    started = time.monotonic()
    index = 0
    for channel, batch in groupby(claimed, key=lambda pair: pair[0]):
        with CHANNELS[channel].transport(current_app.config) as transport:
            for _channel, message in batch:
                if time.monotonic() - started > SEND_BUDGET.total_seconds():
                    left = [m.id for _c, m in claimed[index:]]
                    _release(left)
                    report.skipped += len(left)
                    return report
                index += 1
                try:
                    transport.send(message)
                except Exception as error:  # noqa: BLE001 - one bad message must not stop the others
                    _record_failure(message.id, message.attempts, message.recipient,
                                    message.request_id, error, now)
                    report.failed += 1
                else:
                    _record_success(message, now)
                    report.sent += 1
    return report


def _claim(now: datetime, limit: int, report: SendReport) -> list[tuple[str, Outgoing]]:
    """Take up to ``limit`` due messages in one short transaction, rendering those not yet
    rendered (their text is kept on the row: a retry sends the same words)."""
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
        .execution_options(populate_existing=True)
        .with_for_update(skip_locked=True)
    )
    rows = db.session.scalars(due).all()
    claimed: list[tuple[str, Outgoing]] = []
    failures = []
    for row in rows:
        try:
            with db.session.begin_nested():  # a loader's failed query must not end the claim
                rendered = render(row)
        except Gone as gone:
            row.status, row.last_error = DROPPED, f"Gone: {gone}"[:2000]
            report.dropped += 1
            continue
        except Exception as error:  # noqa: BLE001 - a template error waits like an outage
            failures.append((row.id, row.attempts, row.recipient, row.request_id, error))
            continue
        row.subject, row.body, row.attachments = (rendered.subject, rendered.body,
                                                  rendered.attachments)
        row.claimed_until = now + CLAIM
        claimed.append((row.channel, Outgoing(
            row.id, row.recipient, row.language, rendered.subject, rendered.body,
            rendered.attachments, row.created_at, row.attempts, row.request_id,
            bool((row.parameters or {}).get(DISCREET)))))
    db.session.commit()
    for failure in failures:
        _record_failure(*failure, now)
        report.failed += 1
    claimed.sort(key=lambda pair: pair[0])  # stable: one transport per channel, order kept
    return claimed


def _record_success(message: Outgoing, now: datetime) -> None:
    # The request's id, not the recipient: the log says which request's message went out.
    current_app.logger.info("outbox message %s sent", message.id,
                            extra={"request_id": message.request_id or "-"})
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id)
                       .values(status=SENT, sent_at=now, claimed_until=None))
    db.session.commit()


def _record_failure(message_id: int, attempts: int, recipient: str, request_id: str | None,
                    error: Exception, now: datetime) -> None:
    attempts += 1  # we hold the claim: nobody else changed it
    text = f"{type(error).__name__}: {error}"[:2000]
    # A refused recipient's address is in the server's answer: the log says where, not whom.
    current_app.logger.warning("outbox message %s failed (attempt %s): %s",
                               message_id, attempts, text.replace(recipient, "[recipient]"),
                               extra={"request_id": request_id or "-"})
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                       .values(attempts=attempts, next_attempt_at=now + retry_delay(attempts),
                               last_error=text, claimed_until=None))
    db.session.commit()


def _release(ids: list[int]) -> None:
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids))
                       .values(claimed_until=None))
    db.session.commit()
