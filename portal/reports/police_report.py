"""The number of the police report (PV) that the reporter adds later from the tracking page.

The police write a PV number as the judicial district, two digits, the service, a serial number
and the year: "BR.12.L3.012345/2026". Zones and years differ in details (spaces instead of dots,
a two-digit year, fewer digits in the serial), so the check is lenient: a number that has the
general shape is kept exactly as typed (trimmed), the way the reporter will read it to the police.
"""
from __future__ import annotations

import re

from portal.db import utcnow
from portal.extensions import db
from portal.i18n import _
from portal.reports import notifications
from portal.reports.models import EventKind, Report, ReportEvent

#: The column's width.
MAX_LENGTH = 40

_SEPARATOR = r"[\s./\-]*"
#: Two letters (the district: BR, AN, GE…), two digits, two letters or digits (the service:
#: L3, LB, 12…), a serial of 1 to 7 digits, a year of 2 or 4 digits.
PV_PATTERN = re.compile(
    rf"[A-Z]{{2}}{_SEPARATOR}[0-9]{{2}}{_SEPARATOR}[A-Z0-9]{{2}}{_SEPARATOR}[0-9]{{1,7}}"
    rf"{_SEPARATOR}(?:[0-9]{{2}}|[0-9]{{4}})", re.IGNORECASE)


class InvalidNumber(Exception):
    """The text cannot be a PV number; ``message`` is in the current language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def clean(text: str) -> str:
    """The number as typed, trimmed; InvalidNumber if it cannot be one."""
    typed = " ".join((text or "").split())
    if not typed:
        raise InvalidNumber(_("Give the number of the police report."))
    if len(typed) > MAX_LENGTH or not PV_PATTERN.fullmatch(typed):
        raise InvalidNumber(_("Copy the number as it is written on the police document, "
                              "for example BR.12.L3.012345/2026."))
    return typed


def add_number(report: Report, text: str) -> ReportEvent:
    """Keep the PV number on the report (a new one replaces the old), in its timeline, and tell
    the municipality. Raises InvalidNumber."""
    number = clean(text)
    report.police_report_number = number
    report.updated_at = utcnow()
    event = ReportEvent(kind=EventKind.POLICE_REPORT, actor="reporter", public=True,
                        data={"number": number})
    report.events.append(event)
    db.session.flush()
    notifications.reporter_added_information(report)
    return event
