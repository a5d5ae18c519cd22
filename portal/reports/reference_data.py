"""The reports' reference data a submission reads, kept in each worker while it is unchanged.

Every report needs its category (whether it is offered, its questions, its deadlines) and the
contact addresses of its municipality; read through the ORM they were a fifth of a
submission's time, and on SQLite the first of those reads opened the request's write
transaction, so the other workers waited through the whole form handling. They change rarely
(an administrator's page), so each worker keeps a copy: plain values, never ORM objects shared
between requests.

The copy is checked on every use against ``report_reference_version``, a counter raised by
database triggers in the transaction of every change to ``category`` or ``municipal_contact``
(whatever the path: the administrators' pages, the seed, ``psql``). A change committed by any
worker or process is therefore seen by every other one on its next use, as the course list's
``list_version`` is. The check is one primary-key read, outside the request's own transaction
when none is open (``db.read_aside``): reading it takes no write lock.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from flask import current_app
from sqlalchemy import Connection, Table, select, text
from sqlalchemy.orm import Session

from portal.db import CommittedQuery, read_aside
from portal.extensions import db
from portal.reports.models import Category, MunicipalContact


class CategoryInfo:
    """A category's row as it was read: the attributes of ``Category`` (``name_fr`` … included,
    so that ``localized(category, "name")`` reads it as it reads the row)."""

    code: str
    questions: str
    position: int
    active: bool
    acknowledge_days: int
    close_days: int

    def __init__(self, values: Mapping[Any, Any]) -> None:
        self.__dict__.update(values)

    def __repr__(self) -> str:
        return f"<CategoryInfo {self.code}>"


@dataclass(frozen=True)
class ContactInfo:
    """An address told of a municipality's new reports: of one category, or of all (None)."""

    municipality_nis: str
    category_code: str | None
    email: str
    language: str


@dataclass(frozen=True)
class ReferenceData:
    """The categories (active or not) and the contact addresses, at one version."""

    version: int
    categories: dict[str, CategoryInfo]
    #: By municipality, in the order of their ids.
    contacts: dict[str, tuple[ContactInfo, ...]]

    def active_category(self, code: str) -> CategoryInfo | None:
        category = self.categories.get(code)
        return category if category is not None and category.active else None

    def contacts_for(self, municipality_nis: str, category_code: str) -> list[ContactInfo]:
        """The municipality's addresses for the category, else its addresses for every category."""
        rows = [contact for contact in self.contacts.get(municipality_nis, ())
                if contact.category_code in (category_code, None)]
        specific = [contact for contact in rows if contact.category_code == category_code]
        return specific or rows


#: The one row's version. Plain SQL (the same on both databases): it runs on every submission,
#: and SQLAlchemy's statement cache costs more than the query itself.
_VERSION = "SELECT version FROM report_reference_version WHERE id = 1"
_COMMITTED_VERSION = CommittedQuery(text(_VERSION))
_CATEGORIES = select(cast(Table, Category.__table__))
_CONTACTS = select(cast(Table, MunicipalContact.__table__)).order_by(MunicipalContact.id)
#: Where each app keeps its copy (``app.extensions``): tests build many apps in one process.
_KEY = "portal_report_reference_data"


def current() -> ReferenceData:
    """The reference data as committed now (or as the session's open transaction sees it).

    One query when the worker's copy is up to date (on a pooled connection: no transaction of
    the session is begun). Call it once per request and pass the result on: the copy is checked
    each time it is called.
    """
    session: Session = db.session()
    if session.in_transaction() or session.new or session.dirty or session.deleted:
        # The session has begun its own transaction (a staff action, the Open311 key's check)
        # or holds changes: read in it, so that its own changes are seen. What it reads is not
        # kept: it may hold changes that are never committed.
        session.flush()
        connection = session.connection()
        version = _version(connection)
        kept = _kept()
        if kept is not None and kept.version == version:
            return kept
        return _load(connection, version)
    kept = _kept()
    if kept is not None and kept.version == _committed_version():
        return kept
    with read_aside() as connection:
        fresh = _load(connection, _version(connection))
    current_app.extensions[_KEY] = fresh
    return fresh


def _committed_version() -> int:
    """The version as committed now (one primary-key read, on every submission)."""
    found = _COMMITTED_VERSION.one()
    return -1 if found is None else int(found[0])


def _kept() -> ReferenceData | None:
    kept: ReferenceData | None = current_app.extensions.get(_KEY)
    return kept


def _version(connection: Connection) -> int:
    found = connection.exec_driver_sql(_VERSION).scalar()
    # No row (the table emptied by hand): -1 until a change of either table makes it again.
    return -1 if found is None else int(found)


def _load(connection: Connection, version: int) -> ReferenceData:
    """Read both tables after ``version``: what is read is at least as new as the version it is
    kept with (on SQLite, the same snapshot; on PostgreSQL, later statements)."""
    categories = {row.code: CategoryInfo(row._mapping) for row in connection.execute(_CATEGORIES)}
    contacts: dict[str, list[ContactInfo]] = {}
    for row in connection.execute(_CONTACTS):
        contacts.setdefault(row.municipality_nis, []).append(ContactInfo(
            municipality_nis=row.municipality_nis, category_code=row.category_code,
            email=row.email, language=row.language))
    return ReferenceData(version, categories,
                         {nis: tuple(rows) for nis, rows in contacts.items()})
