"""The residents' and staff's report forms. Types and required fields here; the portal's rules in services."""
from __future__ import annotations

import functools
from typing import Any

from wtforms import (
    BooleanField,
    EmailField,
    Field,
    HiddenField,
    MultipleFileField,
    RadioField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError

from portal.abuse import HumanCheck
from portal.config import LANGUAGE_AUTONYMS, LANGUAGES
from portal.forms import DayField, PortalForm, TimeOfDayField
from portal.i18n import _l
from portal.reports.models import SafeContact
from portal.reports.questions import Kind, Question
from portal.reports.questions import question_set as question_set_of


class ReportForm(HumanCheck, PortalForm):
    """What, when, where, the category's questions, photos and contact.

    No consent tick: the municipality handles reports as a public task; the form shows a short
    notice of who receives what, and for how long, with the link to the privacy page.
    """

    submission_key = HiddenField()
    kept_photos = HiddenField()
    description = TextAreaField(
        _l("What happened?"),
        description=_l("Describe the facts in your own words: what you saw, what was taken or "
                       "damaged, any detail that can help. At most 4,000 characters."),
        validators=[InputRequired(message=_l("Describe what happened."))])
    occurred_on = DayField(_l("Date"), validators=[InputRequired(message=_l("Give the date of the facts."))])
    occurred_at_time = TimeOfDayField(_l("Approximate time"), description=_l("If you know it."),
                                      validators=[Optional()])
    street = StringField(_l("Street and number"), description=_l("Or a place that can be found: a "
                                                                 "square, a stop, a school."))
    postal_code = StringField(_l("Postal code"), validators=[InputRequired(message=_l("Give the "
                                                                                      "postal "
                                                                                      "code, for "
                                                                                      "example "
                                                                                      "1050."))])
    latitude = HiddenField()
    longitude = HiddenField()
    photos = MultipleFileField(_l("Photos (optional)"),
                               description=_l("Up to 3 photos, JPEG, PNG or WebP, at most 10 MB "
                                              "each. We remove their hidden data, such as the "
                                              "place where they were taken."))
    email = EmailField(_l("E-mail address (optional)"),
                       description=_l("To receive the reference and the updates of your report. "
                                      "Without it, your report is anonymous."))
    phone = TelField(_l("Phone number (optional)"),
                     description=_l("Only if you agree that the municipality calls you about this report."))
    #: Language of the messages to the reporter; the view sets the page's language by default.
    email_language = RadioField(_l("Language of the e-mails we send you"),
                                choices=[SelectChoice(code, LANGUAGE_AUTONYMS[code]) for code in LANGUAGES],
                                validate_choice=False, validators=[Optional()])
    #: Asked on sensitive reports only (``sensitive`` comes from the question set: ``report_form``).
    safe_contact = RadioField(
        _l("How can we contact you safely?"),
        description=_l("We never leave a voice message, and the subject of our e-mails names neither "
                       "the police nor prevention."),
        choices=[SelectChoice(SafeContact.EMAIL, _l("By e-mail only: do not call me")),
                 SelectChoice(SafeContact.PHONE, _l("By phone: you may call me, but do not leave a voice message")),
                 SelectChoice(SafeContact.NONE, _l("Do not contact me: I will follow my report with its reference"))],
        # No Optional(): an unanswered question must reach ``validate_safe_contact``.
        validate_choice=False)
    municipality = RadioField(_l("Which municipality?"), choices=[], validate_choice=False,
                              validators=[Optional()])
    #: Whether this form is the one of a sensitive category (racket, threats).
    sensitive = False

    def chosen_language(self, default: str) -> str:
        """The language chosen for the e-mails; the page's when none (or no real one) was sent."""
        if self.email_language.data not in LANGUAGES:
            self.email_language.data = default
        return str(self.email_language.data)

    def validate_safe_contact(self, field: RadioField) -> None:
        """On a sensitive report: a way to contact that matches what was given."""
        if not self.sensitive:
            field.data = None
            return
        if field.data not in SafeContact.ALL:
            field.data = None
            raise ValidationError(str(_l("Choose how we may contact you, or that we do not.")))
        if field.data == SafeContact.EMAIL and not (self.email.data or "").strip():
            raise ValidationError(str(_l("Give your e-mail address below, or choose another answer.")))
        if field.data == SafeContact.PHONE and not (self.phone.data or "").strip():
            raise ValidationError(str(_l("Give your phone number below, or choose another answer.")))

    #: The questions this form has a field for (``report_form``): the category's.
    questions: tuple[Question, ...] = ()

    def answers(self) -> dict[str, str]:
        """What was typed or chosen for each of the category's questions."""
        return {question.name: self[question.name].data or "" for question in self.questions}


def _question_field(question: Question) -> Field:
    if question.kind == Kind.CHOICE:
        return RadioField(question.label, description=question.hint,
                          choices=[SelectChoice(value, label) for value, label in question.choices],
                          validate_choice=False, validators=[Optional()])
    # A time too is text here: the registry parses it (one message whatever the source).
    return StringField(question.label, description=question.hint)


@functools.cache
def report_form(question_set: str) -> type[ReportForm]:
    """The report form of the categories that ask this set of questions: the common fields and
    a field for each of the set's questions, and no other.

    A field for every question of the registry (33 fields in all) made building the form for
    each request a tenth of a submission's time; a category asks at most a handful. The class
    keeps the name ``ReportForm``: the signed time stamp of ``HumanCheck`` is salted with it,
    and is the same whatever the category.
    """
    asked = question_set_of(question_set)
    fields: dict[str, Any] = {question.name: _question_field(question) for question in asked.questions}
    return type(ReportForm.__name__, (ReportForm,), {
        **fields, "questions": asked.questions, "sensitive": asked.sensitive,
        "__module__": __name__, "__doc__": ReportForm.__doc__})


class AddInformationForm(HumanCheck, PortalForm):
    """The reporter adds to a report from the tracking page."""

    text = TextAreaField(_l("Additional information"),
                         description=_l("Anything new: what you learnt since, something you forgot."))
    photos = MultipleFileField(_l("Photos (optional)"),
                               description=_l("Up to 3 photos, JPEG, PNG or WebP, at most 10 MB "
                                              "each. We remove their hidden data, such as the "
                                              "place where they were taken."))


class PoliceReportForm(PortalForm):
    """The number of the police report (PV), added from the tracking page."""

    number = StringField(_l("Number of the police report (PV)"),
                         description=_l("As written on the document the police gave you, "
                                        "for example BR.12.L3.012345/2026."),
                         validators=[InputRequired(message=_l("Give the number of the police report."))])


REFERENCE_FORMAT = _l("A reference has the form BX-7KQ2-M9XD: BX and two groups of four letters and digits.")
CODE_FORMAT = _l("A tracking code has 12 letters and digits, for example 7KQ2-M9XD-H4PT.")


def _reference_format(_form: Any, field: Field) -> None:
    """A reference that cannot exist is a typing mistake: say so at the field."""
    from portal.reports.services import tracking_reference

    if field.data and not tracking_reference(field.data):
        raise ValidationError(str(REFERENCE_FORMAT))


def _code_format(_form: Any, field: Field) -> None:
    from portal.reports.services import normalise_tracking_code

    if field.data and not normalise_tracking_code(field.data):
        raise ValidationError(str(CODE_FORMAT))


class TrackForm(HumanCheck, PortalForm):
    """Open a report with its reference and its tracking code."""

    reference = StringField(_l("Reference"), description=_l("For example BX-7KQ2-M9XD."),
                            validators=[InputRequired(message=_l("Give the reference of your report.")),
                                        _reference_format])
    code = StringField(_l("Tracking code"), description=_l("For example 7KQ2-M9XD-H4PT."),
                       validators=[InputRequired(message=_l("Give the tracking code of your report.")),
                                   _code_format])


class LostCodeForm(HumanCheck, PortalForm):
    """"I lost my code": the reference and the e-mail address given with the report."""

    reference = StringField(_l("Reference"), description=_l("For example BX-7KQ2-M9XD."),
                            validators=[InputRequired(message=_l("Give the reference of your report.")),
                                        _reference_format])
    email = EmailField(_l("E-mail address"), filters=[lambda text: text.strip() if text else text], validators=[
        InputRequired(message=_l("Give the e-mail address you used for the report.")),
        Email(message=_l("Give a valid e-mail address, for example name@example.be."))])


class DoneForm(PortalForm):
    """A button form: the reporter says the problem is solved or no longer needs action."""


# Staff actions ------------------------------------------------------------------------------

class ActionForm(PortalForm):
    """Every staff action carries the version of the report the person saw."""

    version = HiddenField()

    def seen_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


class StatusForm(ActionForm):
    status = RadioField(_l("New status"), choices=[], validate_choice=False)
    duplicate_of = StringField(_l("Reference of the other report (for a duplicate)"))


class AssignForm(ActionForm):
    assignee = RadioField(_l("Assign to"), choices=[], validate_choice=False)


class TextActionForm(ActionForm):
    text = TextAreaField(_l("Text"), validators=[InputRequired(message=_l("Write the text first."))])


class AnswerForm(TextActionForm):
    """The answer to the resident; a text that looks like another language needs a second look."""

    any_language = BooleanField(_l("Send it anyway: the text is right as it is"))


class SpamForm(ActionForm):
    """A button: mark as spam, or not spam after all."""


class EraseForm(ActionForm):
    reason = TextAreaField(_l("Why erase now?"), description=_l("For example: the reporter asked for it on 3 March."),
                           validators=[InputRequired(message=_l("Give the reason for the erasure."))])


class TransferForm(ActionForm):
    municipality = RadioField(_l("Competent municipality"), choices=[], validate_choice=False)
    reason = TextAreaField(_l("Reason for the transfer"),
                           validators=[InputRequired(message=_l("Give the reason for the transfer."))])


class SaveFilterForm(PortalForm):
    """Save the work list's current filters under a name."""

    name = StringField(_l("Name of this filter"), description=_l("For example: overdue vandalism"),
                       validators=[InputRequired(message=_l("Give the filter a name.")),
                                   Length(max=80)])
