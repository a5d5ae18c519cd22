"""Durations in words for staff pages: "0,1 heure", "2,5 dagen", "en retard de 3 jours".

Figures are in the language's number format (Babel) and the plural follows the figure as
written: French says "0,1 heure" and "1,5 heure" (CLDR: the integer part is 0 or 1), English
"0.1 hours". gettext's plural formulas only know integers, so the CLDR category of the decimal
picks an integer of the same category.
"""
from __future__ import annotations

from datetime import datetime

from babel import Locale
from babel.numbers import format_decimal

from portal.i18n import current_language, ngettext
from portal.reports.models import Report, Status

#: Below this many hours a duration reads in hours, above it in days.
HOURS_UP_TO = 48


def _plural_number(value: float, lang: str) -> int:
    """An integer that takes the same plural form as ``value`` in ``lang``."""
    if value == int(value):
        return int(value)
    return 1 if Locale.parse(lang).plural_form(value) == "one" else 2


def _figure(value: float, lang: str) -> str:
    return format_decimal(value, format="#,##0.#", locale=lang)


def duration(hours: float) -> str:
    """A median or other duration rounded to a tenth, in hours up to two days, then in days."""
    lang = current_language()
    if hours < HOURS_UP_TO:
        value = round(hours, 1)
        return ngettext("%(figure)s hour", "%(figure)s hours", _plural_number(value, lang),
                        figure=_figure(value, lang))
    value = round(hours / 24, 1)
    return ngettext("%(figure)s day", "%(figure)s days", _plural_number(value, lang),
                    figure=_figure(value, lang))


def overdue_by(report: Report, now: datetime) -> str:
    """"Overdue by 3 days" for the list; empty when the report is not past its target."""
    # the same targets as ``triage.overdue``: acknowledging a new report, closing an open one
    targets = [report.acknowledge_due_at if report.status == Status.NEW else None,
               report.close_due_at if report.status in Status.OPEN else None]
    past = [now - due for due in targets if due is not None and due < now]
    if not past:
        return ""
    late = max(past)
    if late.days >= 1:
        return ngettext("Overdue by %(num)s day", "Overdue by %(num)s days", late.days)
    hours = max(1, late.seconds // 3600)
    return ngettext("Overdue by %(num)s hour", "Overdue by %(num)s hours", hours)
