"""The base of every form of the portal, and the input fields that several forms share."""
from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

from flask_babel import LazyString
from flask_wtf import FlaskForm
from wtforms import Field, StringField
from wtforms.i18n import get_translations
from wtforms.widgets import DateInput, TimeInput

from portal.config import LANGUAGES
from portal.i18n import _l, current_language, language_title


@functools.cache
def _wtforms_messages(language: str) -> Any:
    return get_translations([language])


class PortalForm(FlaskForm):
    """Flask-WTF's form, with WTForms' own messages ("Not a valid integer value.") in the
    language of the request.

    Flask-WTF would read WTForms' catalog from disk again on every request that builds a form
    (about a fifth of a millisecond, a third of a report submission's form work); here each
    language's catalog is read once per process.
    """

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Any) -> Any:
            return _wtforms_messages(current_language())


class ParsedField(StringField):
    """A text input whose value is parsed into a Python value, with a localized error."""

    parse_error: Any = None

    def parse(self, text: str) -> Any:
        raise NotImplementedError

    def process_formdata(self, valuelist: list[str]) -> None:
        text = (valuelist[0] if valuelist else "").strip()
        self.raw_text = text
        if not text:
            self.data = None
            return
        try:
            self.data = self.parse(text)
        except ValueError:
            self.data = None
            raise ValueError(str(self.parse_error)) from None

    def _value(self) -> str:
        if getattr(self, "raw_text", None) is not None:
            return self.raw_text
        return self.format(self.data) if self.data is not None else ""

    def format(self, value: Any) -> str:
        return str(value)


class DayField(ParsedField):
    """``<input type=date>``: phones show a date picker, and the value is ISO ``YYYY-MM-DD``."""

    widget = DateInput()
    parse_error = _l("Give a date such as 2026-03-31.")

    def parse(self, text: str) -> date:
        return date.fromisoformat(text)

    def format(self, value: date) -> str:
        return value.isoformat()


class TimeOfDayField(ParsedField):
    widget = TimeInput()
    parse_error = _l("Give a time such as 17:30.")

    def parse(self, text: str) -> time:
        return datetime.strptime(text[:5], "%H:%M").time()

    def format(self, value: time) -> str:
        return value.strftime("%H:%M")


def add_per_language_fields(form: type[PortalForm], name: str,
                            make: Callable[[str, LazyString], Field]) -> None:
    """Give ``form`` a field ``<name>_<lang>`` for each language of the portal, built by
    ``make(lang, title)``; ``title`` is the language's name in the reader's language, for labels
    such as "Name in Dutch"."""
    for lang in LANGUAGES:
        setattr(form, f"{name}_{lang}", make(lang, LazyString(language_title, lang)))


class ConfirmForm(PortalForm):
    """A button only: the CSRF token is the whole form (enable, disable, remove)."""
