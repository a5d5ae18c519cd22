"""The coordinators' comparison of the 19 municipalities over a period.

Counts are one grouped statement; medians are computed by the database where it can
(PostgreSQL's ``percentile_cont``) and in Python over one query bounded by the period on SQLite,
which has no ordered-set aggregate.
"""
from __future__ import annotations

import statistics as stats
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from portal import geo
from portal.accounts.models import StaffUser
from portal.extensions import db
from portal.reports.models import Report
from portal.reports.periods import Period
from portal.reports.triage import NotStaff, overdue_condition


@dataclass(frozen=True)
class Row:
    """One municipality's figures; a median is ``None`` when no report reached that step."""

    nis: str
    reports: int
    overdue: int
    median_acknowledge_hours: float | None
    median_close_hours: float | None


def compare(user: StaffUser, period: Period, now: datetime) -> list[Row]:
    """Every municipality of the Region, in NIS order, those without reports included.

    Reports created in the period count, spam excepted; a report whose municipality is still to
    be decided counts for none (no municipality is answerable for it yet). "Overdue" is as of
    ``now``.
    """
    if not user.sees_whole_region:
        raise NotStaff
    scope = (Report.created_at >= period.start, Report.created_at < period.end,
             Report.spam.is_(False), Report.municipality_to_decide.is_(False))
    counts = {nis: (total, late or 0) for nis, total, late in db.session.execute(
        select(Report.municipality_nis, func.count(),
               func.sum(case((overdue_condition(now), 1), else_=0)))
        .where(*scope).group_by(Report.municipality_nis))}
    acknowledge = _medians(Report.acknowledged_at, scope)
    close = _medians(Report.closed_at, scope)
    return [Row(m.nis, *counts.get(m.nis, (0, 0)), acknowledge.get(m.nis), close.get(m.nis))
            for m in geo.municipalities()]


def _medians(column: InstrumentedAttribute[datetime | None],
             scope: Iterable[ColumnElement[bool]]) -> dict[str, float]:
    """Median hours from creation to ``column`` per municipality, over the reports that got there."""
    where = (*scope, column.is_not(None))
    if db.engine.dialect.name == "postgresql":
        seconds = func.extract("epoch", column - Report.created_at)
        return {nis: float(median) / 3600 for nis, median in db.session.execute(
            select(Report.municipality_nis, func.percentile_cont(0.5).within_group(seconds))
            .where(*where).group_by(Report.municipality_nis))}
    durations: dict[str, list[float]] = defaultdict(list)
    for nis, made, done in db.session.execute(
            select(Report.municipality_nis, Report.created_at, column).where(*where)):
        if done is not None:
            durations[nis].append((done - made).total_seconds() / 3600)
    return {nis: stats.median(values) for nis, values in durations.items()}
