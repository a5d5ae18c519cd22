"""The administrators' forms for reports' reference data: a category, a contact address, a reply template."""
from __future__ import annotations

from wtforms import BooleanField, EmailField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, NumberRange, ValidationError

from portal.config import LANGUAGE_AUTONYMS, LANGUAGES
from portal.forms import PortalForm, add_per_language_fields
from portal.i18n import _l


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
                           description=_l("An address for one category replaces, for that "
                                          "category, the addresses for all categories."))
    email = EmailField(_l("E-mail address"), validators=[
        InputRequired(message=_l("Give the e-mail address.")),
        Email(message=_l("Give a valid e-mail address, for example name@example.org."),
              check_deliverability=False),
        Length(max=320)])
    language = RadioField(_l("Language of the e-mails"),
                          choices=[SelectChoice(code, name) for code, name in LANGUAGE_AUTONYMS.items()], default="fr",
                          validators=[InputRequired(message=_l("Choose a language."))])


class ReplyTemplateForm(PortalForm):
    """A reply template: the category it answers and its title and text in each language."""

    category = SelectField(_l("Category"), validate_choice=True)

    def values(self) -> dict[str, object]:
        texts = {f"{field}_{lang}": self[f"{field}_{lang}"].data for lang in LANGUAGES
                 for field in ("title", "text")}
        return {"category_code": self.category.data or None, **texts}


add_per_language_fields(ReplyTemplateForm, "title", lambda lang, title: StringField(
    _l("Title in %(language)s", language=title),
    validators=[InputRequired(message=_l("Give the title.")), Length(max=120)]))
add_per_language_fields(ReplyTemplateForm, "text", lambda lang, title: TextAreaField(
    _l("Text in %(language)s", language=title),
    validators=[InputRequired(message=_l("Give the text.")), Length(max=4000)]))
