"""Queue e-mails in the recipient's language, and build the absolute links they carry."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from flask import current_app

from portal.config import DEFAULT_LANGUAGE, LANGUAGES, base_url
from portal.extensions import db
from portal.i18n import speaking
from portal.notify.models import Attachment, OutboxMessage
from portal.requestlog import current_request_id

__all__ = ["Attachment", "external_url", "queue_email"]


def queue_email(recipient: str, template: str, language: str, *,
                attachments: list[Attachment] | None = None, request_id: str | None = None,
                **context: Any) -> OutboxMessage:
    """Queue an e-mail in the caller's transaction: it exists exactly when the change does.

    Renders ``email/<template>.subject.txt`` and ``email/<template>.txt`` in ``language``
    whatever language the current request speaks. Adds and flushes; the caller commits.
    """
    if "\n" in recipient or "\r" in recipient or "@" not in recipient:
        # Fail now, in the caller's transaction, rather than retry an unsendable message forever.
        raise ValueError(f"not an e-mail address: {recipient!r}")
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    context.setdefault("external_url", external_url)
    with speaking(language):
        subject = _render(f"email/{template}.subject.txt", context)
        body = _render(f"email/{template}.txt", context)
    message = OutboxMessage(
        recipient=recipient.strip(),
        # One line whatever the template does: a line break in a header is an injection.
        # (Line breaks only: a French no-break space before a colon stays what it is.)
        subject=" ".join(line.strip() for line in subject.splitlines() if line.strip()),
        body=body.strip("\n") + "\n",
        language=language,
        attachments=[item.to_json() for item in attachments or []],
        # The request that caused it (a worker passes on the one it works for).
        request_id=request_id or current_request_id(),
    )
    db.session.add(message)
    db.session.flush()
    return message


def _render(name: str, context: dict[str, Any]) -> str:
    # Not ``render_template``: its context processors build page things (the language switch)
    # that need a request, and e-mails are also queued from commands. Autoescape is off for
    # .txt names (Flask escapes only .html, .htm, .xml, .xhtml, .svg): plain text stays plain.
    return current_app.jinja_env.get_template(name).render(context)


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute URL on ``base_url()``, for e-mails: works with or without a request."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    base = urlsplit(base_url())
    # ``url_for(_external=True)`` would use the request's host even when PORTAL_BASE_URL is set
    # (and need SERVER_NAME outside a request); a link in an e-mail must use the public address.
    adapter = app.url_map.bind(base.netloc, script_name=base.path.rstrip("/") or "/",
                               url_scheme=base.scheme or "http")
    anchor = values.pop("_anchor", None)
    # The app's own URL defaults, so ``lang`` is the current (request or ``speaking``) language.
    app.inject_url_defaults(endpoint, values)
    url: str = adapter.build(endpoint, values, force_external=True)
    if anchor is not None:
        url += "#" + quote(anchor, safe="")
    return url
