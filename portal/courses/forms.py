"""The residents' forms (the list's filters, the five-field sign-up) and the organisers' forms.

Types and required fields here; the portal's rules live in services.
"""
from __future__ import annotations

from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Optional, ValidationError
from wtforms.widgets import NumberInput

from portal.config import LANGUAGES
from portal.courses.models import PURPOSE_TITLES, AttestationRule
from portal.db import queryable
from portal.forms import DayField, ParsedField, PortalForm, TimeOfDayField, add_per_language_fields
from portal.i18n import _l, language_titles


class FilterForm(PortalForm):
    """A GET form: it works without JavaScript, and its URL can be shared."""

    class Meta:
        csrf = False  # it changes nothing

    type = SelectField(_l("Course"), choices=[], validate_choice=False, validators=[Optional()])
    municipality = SelectField(_l("Municipality"), choices=[], validate_choice=False,
                               validators=[Optional()])
    language = SelectField(_l("Language of the course"), choices=[], validate_choice=False,
                           validators=[Optional()])
    date = DayField(_l("Starting from"), validators=[Optional()])

    def validate_date(self, field: DayField) -> None:
        """Year 1 or 9999 is a date no session has, and one that does not convert to UTC."""
        if field.data is not None and not queryable(field.data):
            field.data = None  # the list is shown unfiltered, the message next to the field
            raise ValidationError(str(field.parse_error))


class SignUpForm(PortalForm):
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


class ConfirmForm(PortalForm):
    """A button: links in e-mails only show a page, the button does the thing."""


# Organisers -------------------------------------------------------------------------------------

#: How many date rows a session form can carry (the form shows three, or one more than the
#: session has: without JavaScript, more dates are added by saving and editing again).
MAX_DATES = 12


class NumberField(ParsedField):
    """A whole number, typed on a phone's number pad; what was typed comes back with the error."""

    widget = NumberInput(min=1, step=1)
    parse_error = _l("Give a whole number, for example 12.")

    def parse(self, text: str) -> int:
        return int(text)


class DateRowForm(Form):
    """One date of a session: the day, and its start and end in Brussels time.

    A plain WTForms form: it sits inside ``SessionForm``, whose CSRF token covers it.
    """

    day = DayField(_l("Day"), validators=[Optional()])
    start = TimeOfDayField(_l("Start"), validators=[Optional()])
    end = TimeOfDayField(_l("End"), validators=[Optional()])

    def is_empty(self) -> bool:
        """Nothing typed in the row: rows after the first may stay empty."""
        return not any(getattr(self[name], "raw_text", None) for name in ("day", "start", "end"))


class SessionForm(PortalForm):
    """A session as the organiser describes it; the portal's rules are checked by the services."""

    course_type = SelectField(_l("Course"), choices=[], validate_choice=False)
    language = RadioField(_l("Language of the course"),
                          choices=lambda: [SelectChoice(code, title) for code, title in language_titles().items()],
                          validate_choice=False)
    organiser = SelectField(_l("Organiser"), choices=[], validate_choice=False,
                            description=_l("The organiser manages the session and its lists. "
                                           "Without one, only administrators do."))
    venue_name = StringField(_l("Name of the place"),
                             description=_l("For example: Maison de quartier, Salle des fêtes."))
    address = StringField(_l("Address"), description=_l("Street, number, postal code and place, as "
                                                        "people would write it."))
    municipality = SelectField(_l("Municipality"), choices=[], validate_choice=False)
    dates = FieldList(FormField(DateRowForm), min_entries=3, max_entries=MAX_DATES)
    capacity = NumberField(_l("Number of places"),
                           description=_l("Groups are small: about 12 to 20 people."))
    attestation_rule = RadioField(
        _l("Attestation when the course has several dates"),
        choices=[SelectChoice(AttestationRule.ALL_DAYS, _l("Only for people present on every date")),
                 SelectChoice(AttestationRule.DAYS_ATTENDED, _l("For people present on at least one date, "
                                                                "listing the dates attended"))],
        default=AttestationRule.ALL_DAYS, validate_choice=False)


add_per_language_fields(SessionForm, "notes", lambda lang, title: TextAreaField(
    _l("Practical information in %(language)s", language=title),
    # Said once, under the first of them.
    description=_l("What to bring, how to get in. Shown to people who read the portal in that language.")
    if lang == LANGUAGES[0] else None))


class PromoteForm(PortalForm):
    """Move one person from the waiting list to the attendee list, ahead of the queue."""

    reason = TextAreaField(_l("Why this person goes before the others"),
                           description=_l("It is kept with the registration and shown in the list."),
                           validators=[InputRequired(message=_l("Say why this person goes before the others."))])
    over_capacity = BooleanField(_l("Even if the session is full: take one person more than the number of places"))


class CheckInForm(PortalForm):
    """Present or absent: the value of the button pressed."""

    attended = StringField(validators=[AnyOf(["1", "0"])])
    #: The session day (its id); empty: the day of the check-in.
    day = StringField(validators=[Optional()])
