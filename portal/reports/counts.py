"""Exact counts of reports per (municipality, category, status, spam), kept by the database.

Every staff list page shows how many reports of each status match its filters. Counting them
with ``COUNT(*)`` reads one index entry per report: 330 ms per page for a coordinator at a
million reports (``benchmarks/workspace.py``). The ``report_count`` table holds one row per
(municipality, category, status, spam) — a few hundred rows for the Region — so the counts of a
page without a date, overdue, "mine" or reference filter are one small ``SUM``.

The table is kept by triggers on ``report`` (insert, delete, and an update of one of the four
columns), created by the migration ``a7c3e9d1f2b4_report_count`` for SQLite and PostgreSQL
(the SQL lives there, so that the migration keeps meaning what it meant when the code moves). A trigger runs
inside the statement that changes the report, so the count changes in the same transaction as
the report, whatever the path: the ORM (staff actions, transfer, spam, the resident's form),
Core inserts (Open311, bulk loads), a ``DELETE``, a manual ``UPDATE`` in ``psql``. Nothing in
Python has to remember to call anything, which a grep of today's paths could not promise for
tomorrow's. Each change is one ``UPDATE … SET n = n ± 1`` or one upsert: atomic on both
databases (on PostgreSQL the count row is locked until the commit; a change of status touches
its two rows in a fixed order, so two such changes cannot deadlock each other).

``recount()`` rebuilds the table from ``COUNT(*)`` (what the migration's backfill does, for an
operator who doubts the table); tests/reports/test_counts.py checks that random operations keep
the table equal to ``COUNT(*)`` on both databases.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, delete, false, func, insert, select, true
from sqlalchemy.sql.elements import ColumnElement

from portal.extensions import db
from portal.reports.models import Report, ReportCount

#: The columns a count is kept by (the key of ``report_count``), in that order.
KEY = ("municipality_nis", "category_code", "status", "spam")


def recount(connection: Connection | None = None) -> None:
    """Rebuild ``report_count`` from the reports (the caller commits)."""
    target = connection if connection is not None else db.session
    target.execute(delete(ReportCount))
    key = [getattr(Report, column) for column in KEY]
    target.execute(insert(ReportCount).from_select(
        [*KEY, "n"], select(*key, func.count()).group_by(*key)))


def by_status(municipalities: Iterable[str] | None, *, spam: bool, category: str = "",
              municipality: str = "") -> dict[str, int]:
    """How many reports of each status, from the table: ``municipalities`` None for the whole
    Region, else only those; ``category`` and ``municipality`` narrow it as the list's filters do."""
    condition: ColumnElement[bool] = true()
    if municipalities is not None:
        codes = sorted(municipalities)
        condition = ReportCount.municipality_nis.in_(codes) if codes else false()
    query = (select(ReportCount.status, func.sum(ReportCount.n))
             .where(condition, ReportCount.spam.is_(spam)).group_by(ReportCount.status))
    if category:
        query = query.where(ReportCount.category_code == category)
    if municipality:
        query = query.where(ReportCount.municipality_nis == municipality)
    return {status: int(total or 0) for status, total in db.session.execute(query)}
