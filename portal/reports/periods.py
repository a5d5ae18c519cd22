"""The period a staff page's figures cover: presets or two dates, parsed from a GET form."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional as Absent
from wtforms.validators import ValidationError

from portal.db import queryable
from portal.forms import DayField, PortalForm
from portal.i18n import _l
from portal.times import BRUSSELS

#: preset name -> (title, number of days ending today); "custom" uses the two dates.
PRESETS = {
    "7d": (_l("Last 7 days"), 7),
    "30d": (_l("Last 30 days"), 30),
    "12w": (_l("Last 12 weeks"), 84),
    "365d": (_l("Last 12 months"), 365),
}
DEFAULT_PRESET = "12w"
#: the longest period a page computes (ten years): bounds the work of one page.
LONGEST = timedelta(days=3660)


@dataclass(frozen=True)
class Period:
    """Whole Brussels days, ``first`` to ``last`` included."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), BRUSSELS)

    @property
    def end(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.last + timedelta(days=1), time(), BRUSSELS)

    @classmethod
    def ending(cls, today: date, days: int) -> Period:
        return cls(today - timedelta(days=days - 1), today)


class PeriodForm(PortalForm):
    """The period chooser above the figures (a GET form: it changes nothing)."""

    class Meta:
        csrf = False  # it changes nothing

    preset = SelectField(_l("Period"), default=DEFAULT_PRESET,
                         choices=[*(SelectChoice(key, title) for key, (title, _) in PRESETS.items()),
                                  SelectChoice("custom", _l("These dates"))])
    first = DayField(_l("From"), validators=[Absent()])
    last = DayField(_l("To"), validators=[Absent()])

    def validate_first(self, field: DayField) -> None:
        _refuse_unqueryable(field)
        if self.preset.data == "custom" and not field.data:
            raise ValidationError(_l("Give the first day of the period."))

    def validate_last(self, field: DayField) -> None:
        _refuse_unqueryable(field)
        if self.preset.data != "custom":
            return
        if not field.data:
            raise ValidationError(_l("Give the last day of the period."))
        if self.first.data and field.data < self.first.data:
            raise ValidationError(_l("The last day comes before the first."))
        if self.first.data and field.data - self.first.data > LONGEST:
            raise ValidationError(_l("Choose a period of ten years at most."))

    def period(self, today: date) -> Period:
        """The chosen period; the default one when the form is not valid."""
        if self.preset.data == "custom" and self.first.data and self.last.data and not self.errors:
            return Period(self.first.data, self.last.data)
        days = PRESETS.get(self.preset.data or "", PRESETS[DEFAULT_PRESET])[1]
        return Period.ending(today, days)


def _refuse_unqueryable(field: DayField) -> None:
    """Year 1 or 9999 does not convert to UTC: the same message as a malformed date."""
    if field.data is not None and not queryable(field.data):
        field.data = None
        raise ValidationError(str(field.parse_error))
