"""Figures for the staff: counts per category, week (or month) and municipality, and response
times, over a chosen period.

Only aggregates leave this module, always limited to what the user may see.
"""
from __future__ import annotations

import statistics as stats
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from portal import geo
from portal.accounts.models import StaffUser
from portal.extensions import db
from portal.i18n import current_language, format_date, localized
from portal.reports.models import Category, Report
from portal.reports.periods import Period
from portal.reports.triage import require_report_role, visible
from portal.times import BRUSSELS

#: Up to this many weeks the time chart has a bar per week, beyond it a bar per month.
WEEKLY_UP_TO = 16


@dataclass
class Bar:
    label: str
    value: int


@dataclass
class Figures:
    period: Period
    total: int
    per_category: list[Bar]
    per_time: list[Bar]
    weekly: bool
    per_municipality: list[Bar]
    median_acknowledge_hours: float | None
    median_close_hours: float | None


def _bucket(day: date, weekly: bool) -> date:
    return day - timedelta(days=day.weekday()) if weekly else day.replace(day=1)


def _buckets(period: Period, weekly: bool) -> dict[date, int]:
    """Every week (or month) of the period, those without reports included."""
    buckets: dict[date, int] = {}
    day = _bucket(period.first, weekly)
    while day <= period.last:
        buckets[day] = 0
        day = day + timedelta(weeks=1) if weekly else (day + timedelta(days=32)).replace(day=1)
    return buckets


def figures(user: StaffUser, period: Period) -> Figures:
    """The reports created in ``period`` that the user may see."""
    require_report_role(user)
    scope = (visible(user), Report.created_at >= period.start, Report.created_at < period.end,
             Report.spam.is_(False))

    names = {c.code: localized(c, "name") for c in db.session.scalars(select(Category))}
    per_category = [Bar(names.get(code, code), count) for code, count in db.session.execute(
        select(Report.category_code, func.count()).where(*scope)
        .group_by(Report.category_code).order_by(func.count().desc()))]

    weekly = (period.last - period.first).days < WEEKLY_UP_TO * 7
    times = db.session.execute(select(Report.created_at, Report.acknowledged_at, Report.closed_at)
                               .where(*scope)).all()
    buckets = _buckets(period, weekly)
    for made, _, _ in times:
        start = _bucket(made.astimezone(BRUSSELS).date(), weekly)
        buckets[start] = buckets.get(start, 0) + 1
    per_time = [Bar(format_date(start, "d MMM" if weekly else "MMM y"), count)
                for start, count in sorted(buckets.items())]

    per_municipality: list[Bar] = []
    if user.sees_whole_region:
        lang = current_language()
        per_municipality = [Bar(geo.municipality(nis).name(lang), count) for nis, count in db.session.execute(
            select(Report.municipality_nis, func.count()).where(*scope)
            .group_by(Report.municipality_nis).order_by(func.count().desc()))]

    acknowledge = [(ack - made).total_seconds() / 3600 for made, ack, _ in times if ack]
    close = [(closed - made).total_seconds() / 3600 for made, _, closed in times if closed]
    return Figures(
        period=period, total=len(times), per_category=per_category, per_time=per_time,
        weekly=weekly, per_municipality=per_municipality,
        median_acknowledge_hours=stats.median(acknowledge) if acknowledge else None,
        median_close_hours=stats.median(close) if close else None)
