"""Response-time targets in working days (Belgian public holidays and weekends excluded)."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import holidays

from portal.times import BRUSSELS


@lru_cache(maxsize=16)
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("BE", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _public_holidays(day.year)


def add_working_days(start: datetime, days: int) -> datetime:
    """The end of the ``days``-th working day after ``start`` (Brussels time), as UTC.

    A report sent on Friday evening with a target of 2 working days is due on Tuesday night.
    """
    return _end_of_working_day(start.astimezone(BRUSSELS).date(), max(days, 0))


@lru_cache(maxsize=256)
def _end_of_working_day(day: date, remaining: int) -> datetime:
    """Kept per day and count: every report of a day with the same deadline asks the same
    (a 30-day deadline walked 40 days, twice per submission)."""
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return datetime.combine(day, time(23, 59, 59), BRUSSELS).astimezone(UTC)


def past_target(status: str, acknowledge_due_at: datetime | None, close_due_at: datetime | None,
                now: datetime) -> timedelta | None:
    """How far past its target a report is (acknowledgement while new, closing while open)."""
    from portal.reports.models import Status

    due = acknowledge_due_at if status == Status.NEW else (
        close_due_at if status in Status.OPEN else None)
    return now - due if due is not None and due < now else None
