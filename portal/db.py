"""The declarative base, time helpers, and the SQLite settings a web server needs."""
from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from flask import current_app, has_request_context, request
from sqlalchemy import DateTime, MetaData, String, Text, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, mapped_column, registry
from sqlalchemy.types import TypeDecorator

from portal.config import LANGUAGES

_T = TypeVar("_T")

#: Stable constraint names, so that Alembic can alter tables on SQLite (batch mode) and
#: PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Now, as an aware UTC datetime (a callable default, never evaluated at import)."""
    return datetime.now(UTC)


#: The years a day or a moment read from an address may have. Python's datetimes stop at the
#: years 1 and 9999, and a filter turns a day in Brussels time (or the day after it) into UTC:
#: ``from=0001-01-01`` or ``to=9999-12-31`` made that arithmetic fail with a 500.
QUERY_YEARS = range(1970, 3000)


def queryable(value: date) -> bool:
    """Whether a day or moment from a query string can be compared with the stored times."""
    return value.year in QUERY_YEARS


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every database.

    SQLite has no time zone type and hands back naive values; this type stores UTC and always
    returns aware UTC, so comparisons never mix naive and aware datetimes.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(metadata=MetaData(naming_convention=NAMING_CONVENTION),
                        type_annotation_map={datetime: UTCDateTime()})


def per_language(**columns: Callable[[], Any]) -> Callable[[type[_T]], type[_T]]:
    """Class decorator for a mixin: a column ``<field>_<lang>`` for each field and each of
    ``config.LANGUAGES``, made by the field's factory. Read them with
    ``portal.i18n.localized(row, field)``; a new language adds its columns with one migration.

    Only on mixins (classes that are not mapped yet): declarative copies their columns into
    each mapped class that inherits them.
    """
    def add(cls: type[_T]) -> type[_T]:
        for name, make in columns.items():
            for lang in LANGUAGES:
                setattr(cls, f"{name}_{lang}", make())
        return cls

    return add


@per_language(name=lambda: mapped_column(String(120), nullable=False),
              #: One or two lines that help a resident choose.
              description=lambda: mapped_column(Text, nullable=False))
class NamedPerLanguage:
    """Mixin of reference data a resident reads (categories, course types): a name and a
    description in each language, read with ``portal.i18n.localized(row, "name")``."""


#: HTTP methods that only read: their requests start SQLite transactions without the write lock.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


class WriteInReadOnlyTransaction(RuntimeError):
    """A GET (or HEAD) view wrote without saying so: mark it with ``@writes_on_get``."""


def writes_on_get(view: Any) -> Any:
    """Mark a view that writes although it answers GET (an access log, a key's last use).

    Put it right under the route decorator. On SQLite its transactions take the write lock at
    once, as those of POST requests do (see ``configure_sqlite``).
    """
    view.writes_on_get = True
    return view


def _read_only_request() -> bool:
    """Whether the current request (if any) only reads: a safe method, not ``@writes_on_get``."""
    if not has_request_context() or request.method not in SAFE_METHODS:
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return not getattr(view, "writes_on_get", False)


def configure_sqlite(engine: Engine) -> None:
    """Make SQLite fit for several threads and processes writing at once.

    - WAL lets readers go on while one writer writes;
    - foreign keys are off by default in SQLite;
    - the busy timeout (set in config) makes a writer wait instead of failing;
    - a transaction that may write starts with ``BEGIN IMMEDIATE``: it takes the write lock at
      once. With the default deferred ``BEGIN``, two transactions that both read then write can
      deadlock, and SQLite answers one of them "database is locked" at once, without waiting:
      immediate transactions queue instead. pysqlite's own transaction handling is switched off
      so that SQLAlchemy's ``begin`` event decides how a transaction starts;
    - a transaction of a request that only reads (GET, HEAD, OPTIONS, unless the view is marked
      ``@writes_on_get``) starts with a plain ``BEGIN``: under WAL it reads a snapshot and never
      waits. When reads took the write lock too, every page that read the database queued
      behind every other one, and behind SQLite's busy handler, which sleeps in steps of up to
      100 ms: with 16 connections the course list answered in 0.8 s at the 99th percentile.
      Such a transaction that tries to write raises ``WriteInReadOnlyTransaction``, so that a
      view that writes on GET without its mark fails in the tests, never now and then in use.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        read_only = options.get("read_aside") or (
            _read_only_request() and not options.get("write_aside"))
        connection.info["read_only"] = read_only
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    # Every statement runs in a transaction that began just before, which set the flag.
    @event.listens_for(engine, "before_cursor_execute")
    def _on_execute(connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if connection.info.get("read_only") and _WRITES.match(statement):
            raise WriteInReadOnlyTransaction(
                "a write in a read-only request: mark its view with @writes_on_get")


def _flask_sqlalchemy() -> Any:
    """The app's Flask-SQLAlchemy (``portal.extensions.db``), without importing the module that
    imports this one for its ``Base``."""
    return current_app.extensions["sqlalchemy"]


def end_reading() -> None:
    """End the session's transaction before slow work that needs no database.

    Re-encoding a photo takes about half a second for a 12-megapixel picture. On SQLite every
    transaction holds the database's write lock from its first statement (``BEGIN IMMEDIATE``,
    above), so a view that looked something up and then re-encoded photos made every other
    request of every worker wait that long. Call this once the view has only read; the objects
    it loaded are read again, in a new transaction, when next used.
    """
    session = _flask_sqlalchemy().session
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("end_reading() with changes pending: commit them on purpose")
    session.commit()


@contextmanager
def write_aside() -> Iterator[Connection]:
    """A short transaction of its own that may write, even in a request that only reads.

    For bookkeeping that a reading request must do and that must last whatever the request does
    next (a staff session's last activity, ``portal/accounts/sessions.py``): it commits when the
    block ends. On SQLite it takes the write lock (``BEGIN IMMEDIATE``) on another connection,
    so the request's own session must not hold a write transaction then: it would wait for
    itself. End that first (``end_reading()``), or call this before the request's first query.
    """
    with _flask_sqlalchemy().engine.execution_options(write_aside=True).begin() as connection:
        yield connection


@contextmanager
def read_aside() -> Iterator[Connection]:
    """A short transaction of its own that only reads, whatever the request's method.

    For a cheap look-up that must not open the request's own transaction, such as the version
    of data a worker keeps in memory (``reports/reference_data.py``): on SQLite a POST's
    transaction takes the write lock with its first statement (``BEGIN IMMEDIATE``), so a
    submission that read its category through the session held the lock through all its form
    handling, and the other workers waited. This one begins a plain ``BEGIN`` (a snapshot of
    what is committed, never waiting for a writer) and refuses writes as a reading request
    does. It sees nothing the request's own session has not committed yet.
    """
    with _flask_sqlalchemy().engine.connect() as connection:
        # On the connection, not ``engine.execution_options()``: that builds an engine each time.
        connection.execution_options(read_aside=True)
        yield connection


class CommittedQuery:
    """A one-row ``SELECT`` run on the driver's own cursor of a pooled connection, outside every
    transaction of the request: what is committed now.

    For the checks that run on every request of a page kept in memory (the version of the
    course list, of the report form's reference data). Through SQLAlchemy's ``Connection`` the
    same query cost several times itself (its events, the ``BEGIN`` of this module's SQLite
    settings and the ``ROLLBACK``, the statement cache). The statement is compiled once per
    dialect; bound values go through their column types as SQLAlchemy would convert them. On
    SQLite (driver in autocommit mode, ``configure_sqlite``) the lone ``SELECT`` reads a
    snapshot and takes no lock; on PostgreSQL the pool rolls back its transaction on return.
    The row holds the driver's values (a SQLite moment is its stored text): fit to compare with
    an earlier row of the same query, not to compute with.
    """

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[Any, list[str], dict[str, Any]]] = {}

    def _for(self, engine: Engine) -> tuple[Any, list[str], dict[str, Any]]:
        dialect = engine.dialect
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            # The names as rendered in the SQL (anonymous ones included), in their order.
            rendered = compiled.bind_names
            names = (list(compiled.positiontup or []) if compiled.positional
                     else [rendered[bind] for bind in compiled.binds.values()])
            processors = {rendered[bind]: processor for bind in compiled.binds.values()
                          if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect))}
            found = self._compiled[dialect.name] = (compiled, names, processors)
        return found

    def one(self, **values: Any) -> tuple[Any, ...] | None:
        """The first row for these bound values (None when there is none)."""
        engine: Engine = _flask_sqlalchemy().engine
        compiled, names, processors = self._for(engine)
        # Every parameter, the statement's own literals as well as ``values``.
        given = compiled.construct_params(values)
        converted = {name: processors[name](given[name]) if name in processors else given[name]
                     for name in names}
        parameters: Any = [converted[name] for name in names] if compiled.positional else converted
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(compiled.string, parameters)
                row = cursor.fetchone()
            finally:
                cursor.close()
        finally:
            connection.close()  # back to the pool
        return None if row is None else tuple(row)


def close_sessions_safely(app: Any, db: Any) -> None:
    """End each request's session without letting a dead connection turn the answer into a 500.

    Flask-SQLAlchemy's own teardown rolls the session back; when PostgreSQL has just dropped the
    connection (a restart, ``pg_ctl stop -m fast``) that ROLLBACK raises outside every error
    handler, so an answer already made became a 500, and the broken session stayed in the
    registry for a later request. Registered after ``db.init_app``, this runs first: the
    connection is discarded either way (SQLAlchemy invalidates it), the session is forgotten.
    """

    @app.teardown_appcontext
    def _close_session(_error: BaseException | None) -> None:
        try:
            db.session.remove()
        except SQLAlchemyError as error:
            logging.getLogger(__name__).warning("database connection lost at the end of a "
                                                "request: %s", error)
            try:
                db.session.remove()  # the rollback is over: this returns the connection
            except SQLAlchemyError:
                pass
            db.session.registry.clear()


def insert_missing(model: Any, rows: list[dict[str, Any]]) -> int:
    """Add the shipped reference rows (keyed by ``code``) that the database lacks, with their
    shipped ``position``; rows already there are never overwritten (staff may have edited them).
    Returns how many were added. Uses the Flask-SQLAlchemy session of the current app."""
    session = _flask_sqlalchemy().session
    added = 0
    for position, values in enumerate(rows):
        if session.get(model, values["code"]) is None:
            session.add(model(position=position, **values))
            added += 1
    session.flush()
    return added
