"""What staff are told about their own account: the welcome and the password-reset link.

Queued with the user's id and the reset secret (the row keeps only its hash, so the secret
travels in the message's parameters, as it travels in the e-mail itself); rendered by the
outbox worker in the user's language.
"""
from __future__ import annotations

from portal.accounts.models import StaffUser
from portal.extensions import db
from portal.i18n import current_language
from portal.notify.kinds import Context, Gone, Parameters, register
from portal.notify.services import external_url, queue


def welcome(user: StaffUser, secret: str) -> None:
    """A new account: the link to choose a password."""
    queue("staff_welcome", user.email, user.language, user_id=user.id, secret=secret)


def password_reset(user: StaffUser, secret: str, *, request_id: str | None) -> None:
    """A reset link, for the request (``request_id``) that asked for it."""
    queue("password_reset", user.email, user.language, request_id=request_id, user_id=user.id,
          secret=secret)


def _user(parameters: Parameters) -> StaffUser:
    user = db.session.get(StaffUser, parameters["user_id"])
    if user is None or not user.active:
        raise Gone(f"staff user {parameters['user_id']}")
    return user


@register("staff_welcome")
def _welcome(parameters: Parameters) -> Context:
    user = _user(parameters)
    return {"user": user,
            "municipalities": sorted(m.name(current_language()) for m in user.municipalities),
            "reset_url": external_url("accounts.reset_password", token=parameters["secret"]),
            "request_url": external_url("accounts.reset_request")}


@register("password_reset")
def _reset(parameters: Parameters) -> Context:
    user = _user(parameters)
    return {"user": user,
            "reset_url": external_url("accounts.reset_password", token=parameters["secret"])}
