"""Staff actions that save clicks: take a report (acknowledge and assign to oneself in one step),
and apply one action to many reports of the list at once.

Every report goes through the same access condition as a single action: the reports of a batch
are loaded with ``triage.visible(user)`` inside the query, so a forged reference of another
municipality is never loaded, let alone changed; it is reported as skipped, exactly as a
reference that does not exist. Each report is changed in its own savepoint with the version the
person saw: a report a colleague changed meanwhile is skipped, never overwritten, and the others
are still done.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select
from sqlalchemy.orm.exc import StaleDataError

from portal.accounts.models import Role, StaffUser, staff_municipality
from portal.extensions import db
from portal.i18n import _
from portal.reports import triage
from portal.reports.models import Report, Status

#: What a list page posts per report: its reference and the version shown ("BX-7KQ2-M9XD.3").
_ITEM = re.compile(r"(BX-[0-9A-Z]{4}-[0-9A-Z]{4})\.([0-9]{1,9})")
#: The most reports one batch takes: one list page.
MAX_BATCH = triage.PAGE_SIZE


class BatchActions:
    ACKNOWLEDGE = "acknowledge"
    TAKE = "take"  # acknowledge (if new) and assign to me
    ASSIGN_ME = "assign_me"
    ASSIGN = "assign"  # to a colleague
    SPAM = "spam"  # close as spam

    ALL = (ACKNOWLEDGE, TAKE, ASSIGN_ME, ASSIGN, SPAM)


class Skip:
    """Why a report of a batch was left as it was (codes; the view words them)."""

    NOT_FOUND = "not_found"  # no such report, or not this person's: the same answer
    CHANGED = "changed"  # a colleague changed it since the list was shown
    REFUSED = "refused"  # the action does not apply (already acknowledged, not a colleague...)


@dataclass
class BatchResult:
    done: list[str] = field(default_factory=list)
    #: reference → Skip code
    skipped: dict[str, str] = field(default_factory=dict)


def take(user: StaffUser, report: Report, version: int | None) -> None:
    """Acknowledge a new report and assign it to oneself, as one change."""
    triage.require_report_role(user)
    if report.status != Status.NEW and report.assigned_to_id == user.id:
        raise triage.ActionError(_("This report is already assigned to you."))
    if report.status == Status.NEW:
        triage.acknowledge(user, report, version)
        version = report.version
    if report.assigned_to_id != user.id:
        triage.assign(user, report, version, user.id)


def assign_to_me(user: StaffUser, report: Report, version: int | None) -> None:
    """One button instead of opening the colleagues' list."""
    triage.require_report_role(user)
    if report.assigned_to_id == user.id:
        raise triage.ActionError(_("This report is already assigned to you."))
    triage.assign(user, report, version, user.id)


def close_as_spam(user: StaffUser, report: Report, version: int | None) -> None:
    """Hide the report as spam and close it without action, so that it leaves every queue."""
    if report.spam:
        raise triage.ActionError(_("This report is already marked as spam."))
    triage.mark_spam(user, report, version, True)
    if report.status not in Status.FINAL:
        triage.change_status(user, report, report.version, Status.CLOSED)


def parse_items(values: list[str]) -> dict[str, int]:
    """reference → version from the posted check boxes; anything malformed is dropped."""
    items: dict[str, int] = {}
    for value in values[:MAX_BATCH]:
        match = _ITEM.fullmatch(value or "")
        if match:
            items[match.group(1)] = int(match.group(2))
    return items


def apply(user: StaffUser, action: str, items: dict[str, int],
          assignee_id: int | None = None) -> BatchResult:
    """Apply ``action`` to each report of ``items`` this person may see, each in a savepoint."""
    triage.require_report_role(user)
    if action not in BatchActions.ALL:
        raise triage.ActionError(_("Choose an action."))
    result = BatchResult()
    found = {report.reference: report for report in db.session.scalars(
        select(Report).where(Report.reference.in_(sorted(items)), triage.visible(user))
        .order_by(Report.id))}
    for reference, version in items.items():
        report = found.get(reference)
        if report is None:
            result.skipped[reference] = Skip.NOT_FOUND
            continue
        savepoint = db.session.begin_nested()
        try:
            _one(user, action, report, version, assignee_id)
            db.session.flush()
        except (triage.Conflict, StaleDataError):
            savepoint.rollback()
            result.skipped[reference] = Skip.CHANGED
            continue
        except triage.ActionError:
            savepoint.rollback()
            result.skipped[reference] = Skip.REFUSED
            continue
        savepoint.commit()
        result.done.append(reference)
    return result


def _one(user: StaffUser, action: str, report: Report, version: int, assignee_id: int | None) -> None:
    if action == BatchActions.ACKNOWLEDGE:
        triage.acknowledge(user, report, version)
    elif action == BatchActions.TAKE:
        take(user, report, version)
    elif action == BatchActions.ASSIGN_ME:
        assign_to_me(user, report, version)
    elif action == BatchActions.ASSIGN:
        if assignee_id is None:
            raise triage.ActionError(_("Choose a colleague of this municipality."))
        triage.assign(user, report, version, assignee_id)
    else:
        close_as_spam(user, report, version)


def colleagues_for_list(user: StaffUser) -> list[StaffUser]:
    """Whom the list's "assign to" may name: staff of the person's municipalities, coordinators.

    Each report still checks its own municipality's colleagues when assigned."""
    codes = [m.nis for m in triage.municipalities_of(user)]
    in_municipalities = select(staff_municipality.c.user_id).where(
        staff_municipality.c.municipality_nis.in_(codes))
    return list(db.session.scalars(select(StaffUser).where(
        StaffUser.active.is_(True),
        or_(and_(StaffUser.role == Role.STAFF, StaffUser.id.in_(in_municipalities)),
            StaffUser.role == Role.COORDINATOR)).order_by(StaffUser.name)))
