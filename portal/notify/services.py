"""Queue messages (a kind, a recipient, a language, parameters), and build absolute links."""
from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from flask import current_app, has_request_context

from portal.config import DEFAULT_LANGUAGE, LANGUAGES, base_url
from portal.db import utcnow
from portal.extensions import db
from portal.notify.channels import CHANNELS
from portal.notify.kinds import kind as registered_kind
from portal.notify.models import OutboxMessage
from portal.requestlog import current_request_id

__all__ = ["external_url", "linking_from", "queue"]

#: The parameter that keeps the address of the request that queued a message when
#: PORTAL_BASE_URL is not set (``make run PORT=5201``): its links point where it was made.
ORIGIN = "_origin"
#: A parameter: the message speaks of a sensitive report, its sender names nothing (see channels).
DISCREET = "_discreet"
_origin: ContextVar[str | None] = ContextVar("notify_origin", default=None)


def queue(kind: str, recipient: str, language: str, *, channel: str = "email",
          request_id: str | None = None, about: str | None = None,
          not_before: datetime | None = None, discreet: bool = False, **parameters: Any) -> OutboxMessage:
    """Queue a message in the caller's transaction: it exists exactly when the change does.

    Nothing is rendered here: the worker renders ``kind`` with ``parameters`` (ids and plain
    values) in ``language`` when it sends. Adds and flushes; the caller commits.

    :param about: what it is about ("report:42"), to list one object's messages.
    :param not_before: not sent before then (a digest collects until that moment).
    :param discreet: about a sensitive report: sent under a name that says nothing of it.
    """
    registered_kind(kind)  # KeyError now, in the caller's transaction, for an unknown kind
    # Fail now rather than retry an unsendable message forever.
    recipient = CHANNELS[channel].check_recipient(recipient)
    # Ids and plain values only: an object would fail here, not in the worker.
    parameters = json.loads(json.dumps(parameters))
    if not current_app.config["BASE_URL"] and has_request_context():
        parameters[ORIGIN] = base_url()
    if discreet:
        parameters[DISCREET] = True
    message = OutboxMessage(
        recipient=recipient, kind=kind, channel=channel, parameters=parameters,
        language=language if language in LANGUAGES else DEFAULT_LANGUAGE, attachments=[],
        # The request that caused it (a worker passes on the one it works for).
        request_id=request_id or current_request_id(), about=about,
        next_attempt_at=not_before or utcnow(),
    )
    db.session.add(message)
    db.session.flush()
    return message


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute URL on ``base_url()``, for messages: works with or without a request."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    base = urlsplit(_origin.get() or base_url())
    # ``url_for(_external=True)`` would use the request's host even when PORTAL_BASE_URL is set
    # (and need SERVER_NAME outside a request); a link in a message must use the public address.
    adapter = app.url_map.bind(base.netloc, script_name=base.path.rstrip("/") or "/",
                               url_scheme=base.scheme or "http")
    anchor = values.pop("_anchor", None)
    # The app's own URL defaults, so ``lang`` is the current (request or ``speaking``) language.
    app.inject_url_defaults(endpoint, values)
    url: str = adapter.build(endpoint, values, force_external=True)
    if anchor is not None:
        url += "#" + quote(anchor, safe="")
    return url


@contextmanager
def linking_from(parameters: dict[str, Any]) -> Iterator[None]:
    """Links made meanwhile start with the address kept in ``parameters`` (if any)."""
    token = _origin.set(parameters.get(ORIGIN))
    try:
        yield
    finally:
        _origin.reset(token)
