"""Cheap defences against form robots, without a third-party CAPTCHA.

- a honeypot: a field people never see nor reach with the keyboard, which robots fill in;
- a minimum time to fill: the form carries a signed time stamp of when it was shown, and a form
  sent back faster than a person could (``FORM_MIN_SECONDS``) is refused with a message.
"""
from __future__ import annotations

import time

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from wtforms import HiddenField, StringField
from wtforms.validators import ValidationError

from portal.i18n import _l

TOO_FAST = _l("That was very fast: please check your answers, then send the form again.")
ROBOT = _l("The form could not be sent. Please try again.")


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="form-shown-at")


def shown_now() -> str:
    return _signer().dumps(int(time.time()))


class HumanCheck:
    """Mix into a public form; call ``stamp()`` when showing the form (GET)."""

    #: The honeypot (see the template macro ``honeypot``).
    website = StringField(_l("Leave this field empty"))
    #: When the form was shown, signed.
    shown_at = HiddenField()

    def stamp(self) -> None:
        if not self.shown_at.data:  # type: ignore[attr-defined]
            self.shown_at.data = shown_now()  # type: ignore[attr-defined]

    def validate_website(self, field: StringField) -> None:
        if field.data:
            raise ValidationError(str(ROBOT))

    def validate_shown_at(self, field: HiddenField) -> None:
        minimum = current_app.config.get("FORM_MIN_SECONDS", 3)
        if not minimum:
            return
        try:
            shown = int(_signer().loads(field.data or ""))
        except (BadSignature, ValueError, TypeError):
            field.data = shown_now()
            raise ValidationError(str(ROBOT)) from None
        if time.time() - shown < minimum:
            raise ValidationError(str(TOO_FAST))
