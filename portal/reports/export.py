"""The staff list as a CSV file: one query, streamed, in the spreadsheet's own conventions.

A month of the Region is about 17,000 reports. The export reads them with one ``SELECT`` of
the columns it writes (the category's name and the assignee's joined in), in batches
(``yield_per``: a server-side cursor on PostgreSQL), and hands the file out as it is written, so
memory stays flat whatever the period. Loading ORM objects cost 2 s and 16,848 queries for that
month before (benchmarks/README.md, "Staff workspace at scale").

Spreadsheets with Belgian settings (French or Dutch) split cells on semicolons, not commas: a
file opened by double-click showed each line in one cell. The separator is a semicolon on the
French and Dutch pages, a comma on the English ones, and either on request (``sep``). Every date
is written the same way, ``YYYY-MM-DD HH:MM`` in Brussels time (a day alone ``YYYY-MM-DD``),
which Excel and LibreOffice read as dates in every locale.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func
from sqlalchemy.orm import aliased

from portal import geo
from portal.accounts.models import Role, StaffUser
from portal.config import DEFAULT_LANGUAGE
from portal.db import utcnow
from portal.extensions import db
from portal.i18n import _
from portal.reports import triage
from portal.reports.models import STATUS_TITLES, Category, Report
from portal.times import BRUSSELS

#: Rows fetched from the database at a time.
BATCH = 1000
#: The most rows one file holds (as before: a file a spreadsheet still opens).
LIMIT = 100_000
SEPARATORS = {"semicolon": ";", "comma": ","}


def separator(lang: str, choice: str = "") -> str:
    """The cell separator: the one asked for, else the one of the page's language."""
    return SEPARATORS.get(choice) or ("," if lang == "en" else ";")


def with_contact(user: StaffUser) -> bool:
    """Contact data only for municipal staff (coordinators see the facts, not who reported)."""
    return user.role == Role.STAFF


def header(user: StaffUser) -> list[str]:
    names = [_("Reference"), _("Status"), _("Category"), _("Municipality"), _("Sent on"),
             _("Date of the facts"), _("Acknowledged on"), _("Closed on"), _("Street and number"),
             _("Postal code"), _("Overdue"), _("Assigned to"), _("Language"), _("Description")]
    if with_contact(user):
        names += [_("E-mail address"), _("Phone number")]
    return names


def _query(user: StaffUser, filters: triage.Filters, lang: str) -> Select[Any]:
    assignee = aliased(StaffUser)
    category_name = func.coalesce(getattr(Category, f"name_{lang}"),
                                  getattr(Category, f"name_{DEFAULT_LANGUAGE}"))
    columns: list[Any] = [
        Report.reference, Report.status, category_name, Report.municipality_nis,
        Report.created_at, Report.occurred_on, Report.acknowledged_at, Report.closed_at,
        Report.street, Report.postal_code, Report.acknowledge_due_at, Report.close_due_at,
        assignee.name, Report.language, Report.description]
    if with_contact(user):
        columns += [Report.email, Report.phone]
    matching = triage.filtered(user, filters).with_only_columns(*columns, maintain_column_froms=True)
    return (matching.join(Category, Category.code == Report.category_code)
            .outerjoin(assignee, assignee.id == Report.assigned_to_id)
            .order_by(Report.created_at.desc(), Report.id.desc()).limit(LIMIT))


def moment(value: datetime | None) -> str:
    return value.astimezone(BRUSSELS).strftime("%Y-%m-%d %H:%M") if value else ""


def day(value: date | None) -> str:
    return value.isoformat() if value else ""


def rows(user: StaffUser, filters: triage.Filters, lang: str) -> Iterator[list[object]]:
    """The file's lines after the header. Who may see what is decided now, in the request;
    the query runs when the first line is asked for, on a connection of its own that lives as
    long as the iterator (the request's session is ended before a streamed answer is sent)."""
    triage.require_report_role(user)
    return _lines(_query(user, filters, lang), lang)


def _lines(query: Select[Any], lang: str) -> Iterator[list[object]]:
    statuses = {code: str(title) for code, title in STATUS_TITLES.items()}
    places = {m.nis: m.name(lang) for m in geo.municipalities()}
    yes, no = _("Yes"), _("No")
    now = utcnow()
    with db.engine.connect() as connection:
        for (reference, status, category, nis, created_at, occurred_on, acknowledged_at,
             closed_at, street, postal_code, acknowledge_due_at, close_due_at, assignee, language,
             description, *contact) in connection.execution_options(yield_per=BATCH).execute(query):
            overdue = triage.overdue(status, acknowledge_due_at, close_due_at, now)
            yield [reference, statuses.get(status, status), category, places.get(nis, nis),
                   moment(created_at), day(occurred_on), moment(acknowledged_at),
                   moment(closed_at), street, postal_code, yes if overdue else no, assignee or "",
                   language, description, *contact]
