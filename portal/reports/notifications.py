"""What residents and municipalities are told about reports, and to whom it goes.

Each function queues one kind of message with ids and plain values; each loader below turns
them back into the template's context when the outbox worker renders the message (in the
recipient's language). A resident's message whose report was erased meanwhile is dropped.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import select

from portal import geo
from portal.accounts.models import StaffUser
from portal.db import utcnow
from portal.extensions import db
from portal.i18n import current_language
from portal.notify.kinds import Gone, Parameters, register
from portal.notify.models import PENDING, OutboxMessage
from portal.notify.services import external_url, queue
from portal.reports import reference_data
from portal.reports.models import Report, ReportEvent, Status
from portal.reports.reference_data import ContactInfo, ReferenceData

#: The statuses a reporter is told of ("in progress" is not: one message too many).
TOLD_STATUSES = (Status.ACKNOWLEDGED, Status.RESOLVED, Status.CLOSED, Status.REFERRED,
                 Status.DUPLICATE)
#: Messages to the reporter, as staff see them on the report's page.
TO_REPORTER = ("report_received", "report_answer", "report_status", "report_moved",
               "report_tracking_link")
#: Those whose text staff may read (the others carry the reporter's private link or code).
READABLE = ("report_answer", "report_status", "report_moved")


class Announced(Protocol):
    """What the messages about a report need to know of it: a ``Report``, or the values a new
    report was just stored with (``services.NewReport``)."""

    @property
    def id(self) -> int: ...
    @property
    def email(self) -> str | None: ...
    @property
    def language(self) -> str: ...
    @property
    def category_code(self) -> str: ...
    @property
    def municipality_nis(self) -> str: ...
    @property
    def municipality_to_decide(self) -> bool: ...
    @property
    def safe_contact(self) -> str | None: ...


def contacts_for(report: Announced, reference: ReferenceData | None = None) -> list[ContactInfo]:
    """The addresses of the report's municipality for its category, else its general ones;
    none while the coordinators have to decide the municipality (its staff may not see it).
    From the worker's copy of the addresses, checked against the database (``reference_data``),
    unless the caller has read it already (``reference``)."""
    if report.municipality_to_decide:
        return []
    return (reference or reference_data.current()).contacts_for(report.municipality_nis,
                                                                  report.category_code)


def staff_report_url(report: Report, lang: str) -> str:
    """The staff page of a report, for messages to the municipality."""
    return external_url("manage.report", reference=report.reference, lang=lang)


# What happened, and to whom ------------------------------------------------------------------

def report_received(report: Announced, secret: str, tracking_code: str,
                    reference: ReferenceData | None = None) -> None:
    """The reporter (if an e-mail was given) gets the private link and the tracking code;
    the municipality's contacts are told, without the reporter's contact data."""
    if report.email:
        _to_reporter("report_received", report, secret=secret, tracking_code=tracking_code)
    minutes = current_app.config["NEW_REPORT_DIGEST_MINUTES"]
    if minutes <= 0:
        _to_contacts("report_new_staff", report, reference)
        return
    for contact in contacts_for(report, reference):
        _add_to_digest(contact, report, timedelta(minutes=minutes))


def _add_to_digest(contact: ContactInfo, report: Announced, every: timedelta) -> None:
    """Add ``report`` to the contact's digest that is still collecting, or start one sent
    ``every`` from now. The open digest is locked (PostgreSQL: a worker rendering it makes us
    wait, then it no longer matches; SQLite: the write transaction is already exclusive)."""
    collecting = db.session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.kind == "report_digest_staff", OutboxMessage.recipient == contact.email,
            OutboxMessage.language == contact.language, OutboxMessage.status == PENDING,
            OutboxMessage.body.is_(None), OutboxMessage.claimed_until.is_(None))
        .order_by(OutboxMessage.id).limit(1).with_for_update()
        .execution_options(populate_existing=True))
    if collecting is None:
        queue("report_digest_staff", contact.email, contact.language,
              not_before=utcnow() + every, nis=report.municipality_nis, report_ids=[report.id])
        return
    parameters = dict(collecting.parameters or {})
    # A new dict, not an in-place append: the JSON column sees an assignment.
    collecting.parameters = {**parameters,
                             "report_ids": [*parameters.get("report_ids", []), report.id]}
    db.session.flush()


def tracking_link(report: Report, token: str, days: int) -> None:
    """"I lost my code", asked with the report's address: a link that opens the report for
    ``days``."""
    assert report.email is not None
    _to_reporter("report_tracking_link", report, token=token, days=days)


def tracking_unknown(email: str, language: str, reference: str) -> None:
    """"I lost my code", asked with another address: a note without a link."""
    queue("report_tracking_unknown", email, language, reference=reference)


def reporter_added_information(report: Report) -> None:
    _to_contacts("report_info_staff", report)


def erasure_requested(report: Report) -> None:
    _to_contacts("report_erasure_staff", report)


def transferred(report: Report, event: ReportEvent) -> None:
    """The contacts of the municipality that now has the report (``event``: the transfer),
    and the reporter (the reason stays internal)."""
    _to_contacts("report_transferred_staff", report, event_id=event.id)
    if report.email and not report.spam:
        _to_reporter("report_moved", report, event_id=event.id)


def answered(report: Report, event: ReportEvent) -> None:
    """Staff's public answer, e-mailed to the reporter in the reporter's language."""
    if report.email:
        _to_reporter("report_answer", report, event_id=event.id)


def status_changed(report: Report, event: ReportEvent) -> None:
    """A status the reporter should know of: what changed and what happens next (nothing for
    a report marked as spam). A duplicate's message names nothing of the other report."""
    if report.email and not report.spam and (event.data or {}).get("status") in TOLD_STATUSES:
        _to_reporter("report_status", report, event_id=event.id)


def assigned(report: Report, assignee: StaffUser, by: StaffUser) -> None:
    """The colleague a report was given to, in their own language (nobody mails themself)."""
    if assignee.id != by.id:
        queue("report_assigned_staff", assignee.email, assignee.language, about=_about(report),
              report_id=report.id, user_id=assignee.id, by=by.name)


def told(report: Report) -> list[OutboxMessage]:
    """What the reporter was told and when, oldest first: the report's outbox rows."""
    return list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.about == _about(report),
                                    OutboxMessage.kind.in_(TO_REPORTER))
        .order_by(OutboxMessage.id)))


def _to_reporter(kind: str, report: Announced, **parameters: Any) -> None:
    """A message to the reporter; for a sensitive report (a safe contact was chosen), one whose
    sender, like its subject, names neither prevention nor the police."""
    assert report.email is not None
    queue(kind, report.email, report.language, about=_about(report), discreet=bool(report.safe_contact),
          report_id=report.id, **parameters)


def _about(report: Announced) -> str:
    return f"report:{report.id}"


def _to_contacts(kind: str, report: Announced, reference: ReferenceData | None = None,
                 **parameters: Any) -> None:
    for contact in contacts_for(report, reference):
        queue(kind, contact.email, contact.language, about=_about(report), report_id=report.id,
              **parameters)


# How each kind is rendered ----------------------------------------------------------------------

def _report(parameters: Parameters, *, resident: bool = False) -> Report:
    report = db.session.get(Report, parameters["report_id"])
    if report is None:
        raise Gone(f"report {parameters['report_id']}")
    if resident and report.email is None:
        raise Gone(f"report {report.id}: personal data erased")
    return report


def _event(parameters: Parameters, report: Report) -> ReportEvent:
    event = db.session.get(ReportEvent, parameters["event_id"])
    if event is None or event.report_id != report.id:
        raise Gone(f"event {parameters['event_id']}")
    return event


@register("report_received")
def _received(parameters: Parameters) -> dict[str, Any]:
    report = _report(parameters, resident=True)
    return {"report": report, "municipality": None if report.municipality_to_decide
            else geo.municipality(report.municipality_nis),
            "tracking_url": external_url("tracking.open_link", token=parameters["secret"]),
            "tracking_code": parameters["tracking_code"],
            "find_url": external_url("tracking.find")}


@register("report_tracking_link")
def _tracking_link(parameters: Parameters) -> dict[str, Any]:
    report = _report(parameters, resident=True)
    return {"report": report, "days": parameters["days"],
            "link": external_url("tracking.open_sent_link", token=parameters["token"])}


@register("report_tracking_unknown")
def _tracking_unknown(parameters: Parameters) -> dict[str, Any]:
    return {"reference": parameters["reference"], "find_url": external_url("tracking.find")}


@register("report_answer")
def _answer(parameters: Parameters) -> dict[str, Any]:
    report = _report(parameters, resident=True)
    event = _event(parameters, report)
    return {"report": report, "text": (event.text or "").strip(),
            "municipality": geo.municipality(report.municipality_nis),
            "tracking_url": external_url("tracking.find")}


def _staff(parameters: Parameters) -> dict[str, Any]:
    report = _report(parameters)
    return {"report": report, "municipality": None if report.municipality_to_decide
            else geo.municipality(report.municipality_nis),
            "staff_url": staff_report_url(report, current_language())}


register("report_new_staff")(_staff)
register("report_info_staff")(_staff)
register("report_erasure_staff")(_staff)


@register("report_transferred_staff")
def _transferred(parameters: Parameters) -> dict[str, Any]:
    context = _staff(parameters)
    data = _event(parameters, context["report"]).data or {}
    context.update(source=geo.municipality(data["source"]),
                   municipality=geo.municipality(data["target"]), reason=data.get("reason", ""))
    return context


@register("report_status")
def _status(parameters: Parameters) -> dict[str, Any]:
    report = _report(parameters, resident=True)
    event = _event(parameters, report)
    return {"report": report, "status": (event.data or {}).get("status"),
            "tracking_url": external_url("tracking.find")}


@register("report_moved")
def _moved(parameters: Parameters) -> dict[str, Any]:
    report = _report(parameters, resident=True)
    data = _event(parameters, report).data or {}
    return {"report": report, "municipality": geo.municipality(data["target"]),
            "tracking_url": external_url("tracking.find")}


@register("report_assigned_staff")
def _assigned(parameters: Parameters) -> dict[str, Any]:
    context = _staff(parameters)
    assignee = db.session.get(StaffUser, parameters["user_id"])
    if assignee is None or not assignee.active:
        raise Gone(f"staff user {parameters['user_id']}")
    context.update(assignee=assignee, by=parameters["by"])
    return context


@register("report_digest_staff")
def _digest(parameters: Parameters) -> dict[str, Any]:
    wanted = parameters["report_ids"]
    found = {r.id: r for r in db.session.scalars(select(Report).where(Report.id.in_(wanted)))}
    # A report transferred meanwhile was announced to its new municipality instead.
    reports = [found[i] for i in wanted if i in found and found[i].municipality_nis == parameters["nis"]]
    if not reports:
        raise Gone(f"reports {wanted}")
    lang = current_language()
    return {"reports": [(r, staff_report_url(r, lang)) for r in reports],
            "municipality": geo.municipality(parameters["nis"]),
            "list_url": external_url("manage.reports", lang=lang)}
