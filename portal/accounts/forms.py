"""Log-in and password forms of the staff workspace."""
from __future__ import annotations

from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from portal.accounts.services import MIN_PASSWORD_LENGTH
from portal.forms import PortalForm, add_per_language_fields
from portal.i18n import _l


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

from wtforms import (BooleanField, IntegerField, RadioField, SelectField,  # noqa: E402
                     SelectMultipleField, TextAreaField)
from wtforms.fields.choices import SelectChoice  # noqa: E402
from wtforms.validators import Email, NumberRange, ValidationError  # noqa: E402
from wtforms.widgets import CheckboxInput, ListWidget  # noqa: E402

from portal.accounts.models import ROLE_TITLES  # noqa: E402
from portal.config import LANGUAGE_AUTONYMS, LANGUAGES  # noqa: E402



class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes (the 19 municipalities)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _municipality_choices() -> list[SelectChoice]:
    from portal import geo
    from portal.i18n import current_language

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
        _l("Municipalities"), description=_l("Municipal staff handle the reports of these municipalities; choose at least one for them."))
    language = RadioField(_l("Language of the e-mails"), choices=[SelectChoice(code, name) for code, name in LANGUAGE_AUTONYMS.items()], default="fr",
                          validators=[InputRequired(message=_l("Choose a language."))])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.municipalities.choices = _municipality_choices()


class MunicipalitiesForm(PortalForm):
    municipalities = MultiCheckboxField(
        _l("Municipalities"), description=_l("Municipal staff handle the reports of these municipalities; choose at least one for them."))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.municipalities.choices = _municipality_choices()


class ConfirmForm(PortalForm):
    """A button only: the CSRF token is the whole form (enable, disable, remove)."""


class DaysField(IntegerField):
    """A whole number of working days, with a localized message when it is not a number."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(_l("Give a number of working days."))) from None


_DAYS_MESSAGE = _l("Give a whole number of working days between %(min)s and %(max)s.")


class CategoryForm(PortalForm):
    acknowledge_days = DaysField(
        _l("Working days to acknowledge a report"),
        validators=[InputRequired(message=_l("Give a number of working days.")),
                    NumberRange(min=1, max=60, message=_DAYS_MESSAGE)])
    close_days = DaysField(
        _l("Working days to close a report"),
        validators=[InputRequired(message=_l("Give a number of working days.")),
                    NumberRange(min=1, max=365, message=_DAYS_MESSAGE)])
    active = BooleanField(_l("Residents can choose this category"))

    def validate_close_days(self, field: DaysField) -> None:
        if (field.data is not None and self.acknowledge_days.data is not None
                and field.data < self.acknowledge_days.data):
            raise ValidationError(str(_l("The days to close cannot be fewer than the days to acknowledge.")))

    def values(self) -> dict[str, object]:
        names = [f"{field}_{lang}" for lang in LANGUAGES for field in ("name", "description")]
        return {name: self[name].data for name in (*names, "acknowledge_days", "close_days", "active")}


add_per_language_fields(CategoryForm, "name", lambda lang, title: StringField(
    _l("Name in %(language)s", language=title),
    validators=[InputRequired(message=_l("Give the name.")), Length(max=120)]))
add_per_language_fields(CategoryForm, "description", lambda lang, title: TextAreaField(
    _l("Description in %(language)s", language=title),
    validators=[InputRequired(message=_l("Give the description.")), Length(max=1000)]))


class ContactForm(PortalForm):
    municipality = SelectField(_l("Municipality"), validators=[InputRequired(message=_l("Choose a municipality."))])
    category = SelectField(_l("Category"),
                           description=_l("An address for one category replaces, for that category, the addresses for all categories."))
    email = EmailField(_l("E-mail address"), validators=[
        InputRequired(message=_l("Give the e-mail address.")),
        Email(message=_l("Give a valid e-mail address, for example name@example.org."),
              check_deliverability=False),
        Length(max=320)])
    language = RadioField(_l("Language of the e-mails"), choices=[SelectChoice(code, name) for code, name in LANGUAGE_AUTONYMS.items()], default="fr",
                          validators=[InputRequired(message=_l("Choose a language."))])
