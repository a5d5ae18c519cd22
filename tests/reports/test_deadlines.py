"""Working days skip weekends and Belgian public holidays."""
from __future__ import annotations

from datetime import UTC, datetime

from portal.reports.deadlines import add_working_days, is_working_day


def test_friday_evening_plus_two_working_days_is_tuesday_night() -> None:
    friday = datetime(2026, 11, 20, 19, 0, tzinfo=UTC)
    due = add_working_days(friday, 2)
    assert due.date().isoformat() == "2026-11-24" and due.hour == 22  # 23:59 Brussels = 22:59 UTC


def test_public_holidays_are_skipped() -> None:
    assert not is_working_day(datetime(2026, 11, 11).date())  # Armistice
    before_christmas = datetime(2026, 12, 24, 10, 0, tzinfo=UTC)
    assert add_working_days(before_christmas, 1).date().isoformat() == "2026-12-28"
