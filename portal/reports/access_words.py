"""The access log in the reader's language, with names rather than ids.

An entry stores what was seen (``what``), the report and, for an export, its size and filters
as JSON (``{"count": 78, "filters": {"status": "new"}}``); the words are chosen when the log is
read, so an administrator reading Dutch sees Dutch whatever the language of the person logged.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import select

from portal import geo
from portal.extensions import db
from portal.i18n import _, current_language, format_date, localized, ngettext
from portal.reports.models import STATUS_TITLES, AccessLog, Category

T = TypeVar("T")


def export_detail(count: int | None, filters: dict[str, str]) -> str:
    """What an export entry stores: its size (``None`` until the file has been written) and its
    filters, as JSON of at most 500 characters."""
    text = json.dumps({"count": count, "filters": filters}, ensure_ascii=False)
    return text if len(text) <= 500 else json.dumps({"count": count, "filters": {}})


def counted(rows: Iterable[T], done: Callable[[int], None]) -> Iterator[T]:
    """``rows`` unchanged; ``done(number of rows)`` once the last has been read, so that a
    streamed export's size is logged without a second query."""
    number = 0
    for row in rows:
        number += 1
        yield row
    done(number)


def _filter_value(key: str, value: str, categories: dict[str, str]) -> str:
    if key == "status":
        return _("open") if value == "open" else str(STATUS_TITLES.get(value, value)).lower()
    if key == "category":
        return categories.get(value, value)
    if key == "municipality":
        try:
            return geo.municipality(value).name(current_language())
        except KeyError:
            return value
    if key in ("from", "to"):
        try:
            return format_date(date.fromisoformat(value), "short")
        except ValueError:
            return value
    return value


def _filters_text(filters: dict[str, str]) -> str:
    labels = {"status": _("status"), "category": _("category"), "municipality": _("municipality"),
              "from": _("from"), "to": _("to"), "q": _("reference")}
    flags = {"overdue": _("overdue only"), "mine": _("assigned to me"),
             "decide": _("municipality to decide"), "sort": _("oldest first"), "spam": _("spam")}
    categories = ({c.code: localized(c, "name") for c in db.session.scalars(select(Category))}
                  if "category" in filters else {})
    parts = [_("%(name)s = %(value)s", name=labels[key], value=_filter_value(key, value, categories))
             if key in labels else flags.get(key, key)
             for key, value in filters.items() if key in labels or key in flags]
    return ", ".join(parts) if parts else _("none")


def describe(entry: AccessLog) -> str:
    """"the page of report BX-2026-00049", "export of 78 reports; filters: status = new"."""
    reference = entry.report.reference if entry.report else None
    if entry.what == "report":
        return (_("the page of report %(ref)s", ref=reference) if reference
                else _("the page of a report since deleted"))
    if entry.what == "photo":
        return (_("a photo of report %(ref)s", ref=reference) if reference
                else _("a photo of a report since deleted"))
    if entry.what == "print":
        return (_("the print view of report %(ref)s", ref=reference) if reference
                else _("the print view of a report since deleted"))
    try:
        stored: Any = json.loads(entry.detail)
        count, filters = stored["count"], dict(stored["filters"])
    except (ValueError, KeyError, TypeError):  # an entry written before the detail was JSON
        return _("export (%(detail)s)", detail=entry.detail) if entry.detail else _("export")
    if not isinstance(count, int):  # still being written, or interrupted
        return _("export, not finished; filters: %(filters)s", filters=_filters_text(filters))
    return ngettext("export of %(num)s report; filters: %(filters)s",
                    "export of %(num)s reports; filters: %(filters)s",
                    count, filters=_filters_text(filters))
