"""Log-in and password forms of the staff workspace."""
from __future__ import annotations

from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from portal import geo
from portal.accounts.services import MIN_PASSWORD_LENGTH
from portal.forms import PortalForm
from portal.i18n import _l, current_language


class LoginForm(PortalForm):
    email = EmailField(_l("E-mail address"), validators=[InputRequired(message=_l("Give your e-mail address."))])
    password = PasswordField(_l("Password"), validators=[InputRequired(message=_l("Give your password."))])


class ResetRequestForm(PortalForm):
    email = EmailField(_l("E-mail address"), validators=[InputRequired(message=_l("Give your e-mail address.")),
                                                         Length(max=320)])


class NewPasswordForm(PortalForm):
    password = PasswordField(
        _l("New password"), description=_l("At least %(count)s characters.", count=MIN_PASSWORD_LENGTH),
        validators=[InputRequired(message=_l("Choose a new password.")),
                    Length(min=MIN_PASSWORD_LENGTH, message=_l("Use at least %(count)s characters.",
                                                               count=MIN_PASSWORD_LENGTH))])
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        InputRequired(message=_l("Repeat the new password.")),
        EqualTo("password", message=_l("The two passwords differ."))])


class CodeForm(PortalForm):
    code = StringField(_l("Code of your authenticator app"), description=_l("Six digits, for example 123456."),
                       validators=[InputRequired(message=_l("Give the six-digit code."))])


# Administration ------------------------------------------------------------------------------

from wtforms import RadioField, SelectMultipleField  # noqa: E402
from wtforms.fields.choices import SelectChoice  # noqa: E402
from wtforms.validators import Email  # noqa: E402
from wtforms.widgets import CheckboxInput, ListWidget  # noqa: E402

from portal.accounts.models import ROLE_TITLES  # noqa: E402
from portal.config import LANGUAGE_AUTONYMS  # noqa: E402


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes (the 19 municipalities)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _municipality_choices() -> list[SelectChoice]:
    return [SelectChoice(m.nis, m.name(current_language())) for m in geo.municipalities()]


class UserCreateForm(PortalForm):
    email = EmailField(_l("E-mail address"), validators=[
        InputRequired(message=_l("Give the e-mail address.")),
        Email(message=_l("Give a valid e-mail address, for example name@example.org."),
              check_deliverability=False),
        Length(max=320)])
    name = StringField(_l("Name"), validators=[InputRequired(message=_l("Give the person's name.")),
                                               Length(max=120)])
    role = RadioField(_l("Role"), choices=[SelectChoice(code, title) for code, title in ROLE_TITLES.items()],
                      validators=[InputRequired(message=_l("Choose a role."))])
    municipalities = MultiCheckboxField(
        _l("Municipalities"), description=_l("Municipal staff handle the reports of these "
                                             "municipalities; choose at least one for them."))
    language = RadioField(_l("Language of the e-mails"),
                          choices=[SelectChoice(code, name) for code, name in LANGUAGE_AUTONYMS.items()], default="fr",
                          validators=[InputRequired(message=_l("Choose a language."))])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.municipalities.choices = _municipality_choices()


class MunicipalitiesForm(PortalForm):
    municipalities = MultiCheckboxField(
        _l("Municipalities"), description=_l("Municipal staff handle the reports of these "
                                             "municipalities; choose at least one for them."))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.municipalities.choices = _municipality_choices()
