"""Log-in and password forms of the staff workspace."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from portal.accounts.services import MIN_PASSWORD_LENGTH
from portal.i18n import _l


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[InputRequired(message=_l("Give your e-mail address."))])
    password = PasswordField(_l("Password"), validators=[InputRequired(message=_l("Give your password."))])


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[InputRequired(message=_l("Give your e-mail address."))])


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"), description=_l("At least %(count)s characters.", count=MIN_PASSWORD_LENGTH),
        validators=[InputRequired(message=_l("Choose a new password.")),
                    Length(min=MIN_PASSWORD_LENGTH, message=_l("Use at least %(count)s characters.",
                                                               count=MIN_PASSWORD_LENGTH))])
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        InputRequired(message=_l("Repeat the new password.")),
        EqualTo("password", message=_l("The two passwords differ."))])


class CodeForm(FlaskForm):
    code = StringField(_l("Code of your authenticator app"), description=_l("Six digits, for example 123456."),
                       validators=[InputRequired(message=_l("Give the six-digit code."))])
