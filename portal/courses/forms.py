"""The residents' forms: the list's filters and the five-field sign-up. Rules live in services."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, RadioField, SelectField, StringField, TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from portal.courses.models import PURPOSE_TITLES
from portal.i18n import _l
from portal.reports.forms import DayField


class FilterForm(FlaskForm):
    """A GET form: it works without JavaScript, and its URL can be shared."""

    class Meta:
        csrf = False  # it changes nothing

    type = SelectField(_l("Course"), choices=[], validate_choice=False, validators=[Optional()])
    municipality = SelectField(_l("Municipality"), choices=[], validate_choice=False,
                               validators=[Optional()])
    language = SelectField(_l("Language of the course"), choices=[], validate_choice=False,
                           validators=[Optional()])
    date = DayField(_l("From"), validators=[Optional()])


class SignUpForm(FlaskForm):
    """Name, e-mail, phone (optional), why, consent: nothing else is asked."""

    submission_key = HiddenField()
    name = StringField(_l("Your name"), description=_l("As it should appear on your attestation."),
                       validators=[InputRequired(message=_l("Give your name."))])
    email = EmailField(_l("E-mail address"),
                       description=_l("For the confirmation, the reminder and the link to cancel."),
                       validators=[InputRequired(message=_l("Give your e-mail address."))])
    phone = TelField(_l("Phone number (optional)"),
                     description=_l("Only to reach you if the session changes at the last minute."))
    purpose = RadioField(_l("Why are you taking this course?"),
                         choices=[SelectChoice(value, label) for value, label in PURPOSE_TITLES.items()],
                         validate_choice=False,
                         validators=[InputRequired(message=_l("Choose why you take the course."))])
    consent = BooleanField(
        _l("I have read the privacy notice and I agree that my details are kept and used as it describes."),
        validators=[InputRequired(message=_l("You must accept the privacy notice to sign up."))])


class ConfirmForm(FlaskForm):
    """A button: links in e-mails only show a page, the button does the thing."""
