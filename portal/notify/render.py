"""Render an outbox message from its kind and parameters, in the recipient's language."""
from __future__ import annotations

from portal.i18n import speaking
from portal.notify.channels import CHANNELS, Rendered
from portal.notify.kinds import kind
from portal.notify.models import OutboxMessage
from portal.notify.services import external_url, linking_from


def render(message: OutboxMessage) -> Rendered:
    """The message as its recipient reads it (the worker's step before sending; tests use it).

    A message already rendered (or queued before kinds existed) is returned as it was
    rendered. Raises ``kinds.Gone`` when what it speaks of no longer exists. Reads the
    database, writes nothing.
    """
    if message.body is not None and message.subject is not None:
        return Rendered(message.subject, message.body, list(message.attachments or []))
    if message.kind is None:
        raise ValueError(f"outbox message {message.id} has neither text nor kind")
    registered = kind(message.kind)
    parameters = dict(message.parameters or {})
    with speaking(message.language), linking_from(parameters):
        context = registered.load(parameters)
        context.setdefault("external_url", external_url)
        attachments = registered.attach(context, parameters) if registered.attach else []
        return CHANNELS[message.channel].render(registered.template, context, attachments)
