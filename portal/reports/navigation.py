"""Moving through the filtered list from a report page: the previous and the next report in the
list's own order, with the same filters and the same access condition as the list.

Keyset on (created_at, id), like ``triage.work_list``: the report being read need not match the
filters any more (it was just acknowledged out of a "new" list) for its neighbours to be found.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_

from portal.accounts.models import StaffUser
from portal.extensions import db
from portal.reports import triage
from portal.reports.models import Report


@dataclass
class Neighbours:
    previous: str | None
    next: str | None


def neighbours(user: StaffUser, filters: triage.Filters, report: Report) -> Neighbours:
    """The references before and after ``report`` in the filtered list as it is now."""
    triage.require_report_role(user)
    later = or_(Report.created_at > report.created_at,
                and_(Report.created_at == report.created_at, Report.id > report.id))
    earlier = or_(Report.created_at < report.created_at,
                  and_(Report.created_at == report.created_at, Report.id < report.id))
    ascending = (Report.created_at.asc(), Report.id.asc())
    descending = (Report.created_at.desc(), Report.id.desc())
    # The list shows newest first unless told otherwise: "next" goes down the list.
    after, after_order, before, before_order = (
        (later, ascending, earlier, descending) if filters.oldest_first
        else (earlier, descending, later, ascending))

    def first(condition: Any, order: tuple[Any, ...]) -> str | None:
        query = triage.filtered(user, filters).where(condition).order_by(*order).limit(1)
        return db.session.scalars(query.with_only_columns(Report.reference)).first()

    return Neighbours(previous=first(before, before_order), next=first(after, after_order))
