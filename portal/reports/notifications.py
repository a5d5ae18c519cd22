"""What residents and municipalities are told about reports, and to whom it goes.

Each function queues one kind of message with ids and plain values; each loader below turns
them back into the template's context when the outbox worker renders the message (in the
recipient's language). A resident's message whose report was erased meanwhile is dropped.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from portal import geo
from portal.extensions import db
from portal.i18n import current_language
from portal.notify.kinds import Gone, Parameters, register
from portal.notify.services import external_url, queue
from portal.reports.models import MunicipalContact, Report, ReportEvent


def contacts_for(report: Report) -> list[MunicipalContact]:
    """The addresses of the report's municipality for its category, else its general ones."""
    rows = list(db.session.scalars(select(MunicipalContact).where(
        MunicipalContact.municipality_nis == report.municipality_nis,
        or_(MunicipalContact.category_code == report.category_code,
            MunicipalContact.category_code.is_(None)))))
    specific = [row for row in rows if row.category_code == report.category_code]
    return specific or rows


def staff_report_url(report: Report, lang: str) -> str:
    """The staff page of a report, for messages to the municipality."""
    return external_url("manage.report", reference=report.reference, lang=lang)


# What happened, and to whom ------------------------------------------------------------------

def report_received(report: Report, secret: str, tracking_code: str) -> None:
    """The reporter (if an e-mail was given) gets the private link and the tracking code;
    the municipality's contacts are told, without the reporter's contact data."""
    if report.email:
        queue("report_received", report.email, report.language, report_id=report.id,
              secret=secret, tracking_code=tracking_code)
    _to_contacts("report_new_staff", report)


def tracking_link(report: Report, token: str, days: int) -> None:
    """"I lost my code", asked with the report's address: a link that opens the report for
    ``days``."""
    assert report.email is not None
    queue("report_tracking_link", report.email, report.language, report_id=report.id,
          token=token, days=days)


def tracking_unknown(email: str, language: str, reference: str) -> None:
    """"I lost my code", asked with another address: a note without a link."""
    queue("report_tracking_unknown", email, language, reference=reference)


def reporter_added_information(report: Report) -> None:
    _to_contacts("report_info_staff", report)


def erasure_requested(report: Report) -> None:
    _to_contacts("report_erasure_staff", report)


def transferred(report: Report, event: ReportEvent) -> None:
    """The contacts of the municipality that now has the report (``event``: the transfer)."""
    _to_contacts("report_transferred_staff", report, event_id=event.id)


def answered(report: Report, event: ReportEvent) -> None:
    """Staff's public answer, e-mailed to the reporter in the reporter's language."""
    if report.email:
        queue("report_answer", report.email, report.language, report_id=report.id,
              event_id=event.id)


def _to_contacts(kind: str, report: Report, **parameters: Any) -> None:
    for contact in contacts_for(report):
        queue(kind, contact.email, contact.language, report_id=report.id, **parameters)


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
    return {"report": report, "municipality": geo.municipality(report.municipality_nis),
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
    return {"report": report, "municipality": geo.municipality(report.municipality_nis),
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
