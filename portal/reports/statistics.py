"""Figures for the staff: counts per category, week and municipality, and response times.

Only aggregates leave this module, always limited to what the user may see.
"""
from __future__ import annotations

import statistics as stats
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from portal import geo
from portal.accounts.models import StaffUser
from portal.db import utcnow
from portal.extensions import db
from portal.i18n import current_language, format_date, localized
from portal.reports.models import Category, Report
from portal.reports.triage import require_report_role, visible
from portal.times import BRUSSELS

WEEKS = 12


@dataclass
class Bar:
    label: str
    value: int


@dataclass
class Figures:
    since: date
    total: int
    per_category: list[Bar]
    per_week: list[Bar]
    per_municipality: list[Bar]
    median_acknowledge_hours: float | None
    median_close_days: float | None


def figures(user: StaffUser, weeks: int = WEEKS) -> Figures:
    """The last ``weeks`` weeks of reports the user may see."""
    require_report_role(user)
    today = utcnow().astimezone(BRUSSELS).date()
    monday = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    since = datetime.combine(monday, time(), BRUSSELS)
    scope = (visible(user), Report.created_at >= since, Report.spam.is_(False))

    names = {c.code: localized(c, "name") for c in db.session.scalars(select(Category))}
    per_category = [Bar(names.get(code, code), count) for code, count in db.session.execute(
        select(Report.category_code, func.count()).where(*scope)
        .group_by(Report.category_code).order_by(func.count().desc()))]

    created = list(db.session.scalars(select(Report.created_at).where(*scope)))
    weekly = {monday + timedelta(weeks=i): 0 for i in range(weeks)}
    for moment in created:
        day = moment.astimezone(BRUSSELS).date()
        weekly[day - timedelta(days=day.weekday())] = weekly.get(day - timedelta(days=day.weekday()), 0) + 1
    per_week = [Bar(format_date(start, "d MMM"), count) for start, count in sorted(weekly.items())]

    per_municipality: list[Bar] = []
    if user.sees_whole_region:
        lang = current_language()
        per_municipality = [Bar(geo.municipality(nis).name(lang), count) for nis, count in db.session.execute(
            select(Report.municipality_nis, func.count()).where(*scope)
            .group_by(Report.municipality_nis).order_by(func.count().desc()))]

    times = db.session.execute(select(Report.created_at, Report.acknowledged_at, Report.closed_at)
                               .where(*scope)).all()
    acknowledge = [(ack - made).total_seconds() / 3600 for made, ack, _ in times if ack]
    close = [(closed - made).total_seconds() / 86400 for made, _, closed in times if closed]
    return Figures(
        since=monday, total=len(created), per_category=per_category, per_week=per_week,
        per_municipality=per_municipality,
        median_acknowledge_hours=round(stats.median(acknowledge), 1) if acknowledge else None,
        median_close_days=round(stats.median(close), 1) if close else None)
