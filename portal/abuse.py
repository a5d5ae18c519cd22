"""Cheap defences against form robots, without a third-party CAPTCHA.

- a honeypot: a field people never see nor reach with the keyboard, which robots fill in;
- a minimum time to fill: the form carries a signed time stamp of when it was shown, and a form
  sent back faster than a person could (``FORM_MIN_SECONDS``) is refused with a message.

A stamp is signed for one form (its class is the salt) and is refused once it is older than
``FORM_MAX_HOURS``: otherwise a robot could fetch one stamp, wait, and send it with every
submission of every form for ever.
"""
from __future__ import annotations

import time

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from wtforms import HiddenField, StringField
from wtforms.validators import ValidationError

from portal.i18n import _l

TOO_FAST = _l("You filled in this form very quickly. To be sure you are not a robot, "
              "we ask you to check your answers and send the form again.")
ROBOT = _l("The form could not be sent. Please try again.")
EXPIRED = _l("This form was open for a long time: please check your answers, then send it again.")


class HumanCheck:
    """Mix into a public form; call ``stamp()`` when showing the form (GET)."""

    #: The honeypot (see the template macro ``honeypot``).
    website = StringField(_l("Leave this field empty"))
    #: When the form was shown, signed for this form.
    shown_at = HiddenField()

    def _signer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(current_app.config["SECRET_KEY"],
                                      salt=f"form-shown-at:{type(self).__name__}")

    def shown_now(self) -> str:
        """A fresh stamp: this form, shown now."""
        return self._signer().dumps(int(time.time()))

    def stamp(self) -> None:
        if not self.shown_at.data:
            self.shown_at.data = self.shown_now()

    def validate_website(self, field: StringField) -> None:
        if field.data:
            raise ValidationError(str(ROBOT))

    def validate_shown_at(self, field: HiddenField) -> None:
        minimum = current_app.config.get("FORM_MIN_SECONDS", 3)
        if not minimum:
            return
        max_age = current_app.config.get("FORM_MAX_HOURS", 6) * 3600 or None  # 0: no limit
        try:
            shown = int(self._signer().loads(field.data or "", max_age=max_age))
        except SignatureExpired:
            # What was typed comes back with a new stamp: sending it again goes through.
            field.data = self.shown_now()
            raise ValidationError(str(EXPIRED)) from None
        except (BadSignature, ValueError, TypeError):
            field.data = self.shown_now()
            raise ValidationError(str(ROBOT)) from None
        if time.time() - shown < minimum:
            raise ValidationError(str(TOO_FAST))
