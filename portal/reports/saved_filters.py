"""Each staff member's saved filters of the work list: a name and the list's query string.

Only what ``triage.parse_filters`` reads is stored (re-written by ``Filters.query_args``), so a
saved filter can never carry anything else into a link; each person sees, uses and deletes only
their own (``user_id`` is in every query).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import StaffUser
from portal.extensions import db
from portal.i18n import _
from portal.reports import triage
from portal.reports.models import SavedFilter

#: Enough for every use; a limit so that a loop cannot fill the table.
MAX_PER_USER = 30


def of(user: StaffUser) -> list[SavedFilter]:
    """The person's saved filters, by name."""
    triage.require_report_role(user)
    return list(db.session.scalars(select(SavedFilter).where(SavedFilter.user_id == user.id)
                                   .order_by(SavedFilter.name)))


def canonical(args: Any) -> str:
    """The query string of the filters in ``args``, without anything unknown or unreadable."""
    return urlencode(triage.parse_filters(args).query_args())


def save(user: StaffUser, name: str, filters: triage.Filters) -> SavedFilter:
    """Save (or replace, under the same name) the filters shown now."""
    triage.require_report_role(user)
    name = " ".join((name or "").split())
    if not name:
        raise triage.ActionError(_("Give the filter a name."))
    query = urlencode(filters.query_args())
    existing = db.session.scalar(select(SavedFilter).where(SavedFilter.user_id == user.id,
                                                           SavedFilter.name == name))
    if existing is not None:
        existing.query = query
        db.session.flush()
        return existing
    count = db.session.scalar(select(func.count()).where(SavedFilter.user_id == user.id))
    if (count or 0) >= MAX_PER_USER:
        raise triage.ActionError(_("You have %(max)s saved filters: delete one first.", max=MAX_PER_USER))
    saved = SavedFilter(user_id=user.id, name=name, query=query)
    savepoint = db.session.begin_nested()
    try:
        db.session.add(saved)
        db.session.flush()
    except IntegrityError:  # the same name saved at the same moment in another tab
        savepoint.rollback()
        raise triage.ActionError(_("A filter of this name was just saved: choose another name.")) from None
    savepoint.commit()
    return saved


def remove(user: StaffUser, filter_id: int) -> bool:
    """Delete one of the person's filters; another person's is never touched (False)."""
    triage.require_report_role(user)
    found = db.session.scalar(select(SavedFilter).where(SavedFilter.id == filter_id,
                                                        SavedFilter.user_id == user.id))
    if found is None:
        return False
    db.session.delete(found)
    db.session.flush()
    return True


def arguments(saved: SavedFilter) -> dict[str, str]:
    """The filters of a saved filter as URL arguments (read through the list's own parser)."""
    return triage.parse_filters(dict(parse_qsl(saved.query))).query_args()
