"""Staff workspace at scale: the work list, its counts and the export over many reports.

    .venv/bin/python -m benchmarks.workspace [--reports 1000000] [--repeat 20] [--deep-pages 50]
                                             [--budget 60] [--seed 1] [--keep]

The staff list (``portal.reports.triage``) is built for keyset paging on the report indexes;
this measures it with a database of the size a few years of the Region would make.

1. Builds a throwaway instance in a temporary folder (``benchmarks.common.throwaway_instance``:
   translations compiled, ``flask --app portal db upgrade heads``, ``portal seed``, ``portal
   geo-index``; a new SQLite file, every ``PORTAL_*`` variable of the caller's shell left
   out). In this process it then adds two staff accounts (``accounts.services.create_user``):
   municipal staff of Ixelles (NIS 21009) and a regional coordinator, and bulk-inserts
   ``--reports`` reports with SQLAlchemy Core (``insert(Report.__table__)``, executemany in
   chunks of 20,000 rows, a commit per chunk), so the values go through the model's own column
   types. Distribution (fixed by ``--seed``):
   - created over the last 5 years, evenly, in id order (ids grow with ``created_at`` as in
     production);
   - the 19 municipalities weighted by population, the City of Brussels more (city centre),
     so the City has ~19% of the rows, Schaerbeek ~10%, Ixelles ~6.6%, Koekelberg ~1.6%;
   - the 7 seeded categories, vandalism 30% down to school-racket 3%;
   - statuses by age: of the last 30 days' reports 55% are open (new 15%, acknowledged 15%,
     in progress 25%), of 1-6 months' 5.5%, of older ones 1% (forgotten ones); the rest
     resolved, closed, referred or duplicate. About 2.3% of all reports are open;
   - 1% marked as spam; ``acknowledge_due_at`` and ``close_due_at`` from the category's working
     days (``deadlines.add_working_days``), so the old open reports are overdue;
   - unique ``reference`` (``BX-XXXX-XXXX``, a bijection of the row number, not sequential)
     and ``tracking_hash``; e-mail on 30% (erased after 12 months), a position on 60%; 30% of
     Ixelles' reports past "new" assigned to the Ixelles staff member.
   The ``created`` event each report has in production is not inserted: no list query reads
   ``report_event``.
2. Times in this process (``time.perf_counter``; one warm-up run, then ``--repeat`` timed runs:
   median and 95th percentile, nearest rank) for each of the two users: ``work_list`` first
   page (default filters), the page after ``--deep-pages`` pages (its cursor found by following
   ``next_cursor``), ``work_list`` with status=new, status=open, overdue=1 and
   category=school-racket, ``status_counts`` alone and ``export_rows`` of the last complete
   calendar month; then, through Flask's test client, the whole page ``GET /fr/manage/reports``
   (first and deep page) and the CSV export of that month, logged in by opening a staff session
   and writing its secret and Flask-Login's ``_user_id`` into the session (the log-in form and
   its second factor are not what is measured). The functions run inside a
   ``test_request_context`` of the GET page, so their
   transactions begin as a GET's do (plain ``BEGIN``, see ``portal.db.configure_sqlite``);
   before each run the session is rolled back and emptied and the user read again, so no run
   reuses another's objects. A case stops repeating after ``--budget`` seconds (fewer runs,
   and the table says so).
3. Prints SQLite's ``EXPLAIN QUERY PLAN`` of the SELECTs from ``report`` each function ran
   (captured from the engine during the warm-up run, with their parameters), for both users.
4. Prints a table per user, in milliseconds: median, p95, "counts" (the median time of each
   run spent in ``triage.status_counts``, which every ``work_list`` call and every list page
   runs), "rows" (reports returned; CSV lines for the export) and "SQL" (statements of one
   call or request: a figure that grows with the rows betrays one query per row). A page load
   (work list or page) with a median above 50 ms is marked SLOW. Exit status 0 once
   everything ran, 1 on an error, 130 on Ctrl-C. The temporary folder is removed at the end
   (``--keep`` keeps it), also on an error.

Nothing goes over the network; every loop is bounded in count, and each case in time. With the
defaults on this project's 2-core machine the build takes about 1.5 minutes and the whole run
about 6.

How to read the figures: each is the wall-clock time of one call in one process with the
database file in the OS page cache (it was just written), SQLite's default 2 MB page cache per
connection as the portal opens them (the build's bigger cache is dropped before measuring) and
no ``ANALYZE`` (the portal never runs it, so the planner has no statistics). Production runs
PostgreSQL (README.md, "Production"); SQLite is the development and test database. The plans
and the "counts" column say where each query's work goes, which does not depend on the
database; PostgreSQL's own times need a run against it.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import math
import os
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest import mock
from urllib.parse import urlencode

from benchmarks import common
from benchmarks.common import table

if TYPE_CHECKING:
    from flask import Flask
    from sqlalchemy.engine import Engine
    from werkzeug.test import TestResponse

    from portal.accounts.models import StaffUser

IXELLES = "21009"
CHUNK = 20_000
PASSWORD = "workspace benchmark password"  # the accounts live and die with the temporary folder
STAFF_EMAIL = "staff.ixelles@workspace.invalid"
COORDINATOR_EMAIL = "coordinator@workspace.invalid"
#: The category of the "category" case: the rarest one, the list's worst case for a filter.
CATEGORY = "school-racket"
#: A page load slower than this (median) for one staff member is flagged.
SLOW_MS = 50.0
YEARS = 5

#: Population in thousands (Statbel, rounded); the City of Brussels weighs more (city centre,
#: commuters), so it and Schaerbeek have the largest shares.
MUNICIPALITY_WEIGHTS: dict[str, float] = {
    "21004": 250, "21015": 133, "21001": 122, "21012": 98, "21009": 88, "21016": 84,
    "21018": 58, "21007": 56, "21010": 53, "21013": 50, "21005": 48, "21006": 43,
    "21019": 42, "21002": 35, "21014": 27, "21017": 25, "21003": 25, "21008": 25, "21011": 22,
}
CATEGORY_WEIGHTS: dict[str, float] = {
    "vandalism": 30, "other-nuisance": 22, "other-theft": 15, "vehicle-theft": 12,
    "burglary": 9, "transport-pickpocketing": 9, "school-racket": 3,
}
#: (maximum age in days, share new, share acknowledged, share in progress); the rest is final.
OPEN_SHARES = ((30, 0.15, 0.15, 0.25), (180, 0.005, 0.01, 0.04), (math.inf, 0.001, 0.002, 0.007))
FINAL_WEIGHTS = {"resolved": 60, "closed": 22, "referred": 12, "duplicate": 6}
LANGUAGE_WEIGHTS = {"fr": 60, "nl": 25, "en": 15}
DESCRIPTIONS = (
    "Des graffitis sur la façade de l'école, côté rue, depuis ce week-end.",
    "Abribus vandalisé, vitre brisée, éclats de verre sur le trottoir.",
    "Iemand heeft de ruit van mijn auto ingeslagen en mijn tas gestolen.",
    "Bike stolen from the rack in front of the station, lock cut.",
    "Tapage nocturne récurrent dans le parc, bouteilles laissées sur place.",
)
#: Base-30 symbols of references (as portal.reports.services.REFERENCE_ALPHABET).
_REF_SYMBOLS = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
_REF_SPACE = 30 ** 8
_REF_STEP = 387_420_489_101  # not divisible by 2, 3 or 5: i -> i * step is a bijection mod 30^8


# --------------------------------------------------------------------------- data

def reference(number: int) -> str:
    """A unique, non-sequential ``BX-XXXX-XXXX`` for the ``number``-th row."""
    value = (number * _REF_STEP + 12_345) % _REF_SPACE
    symbols = []
    for _ in range(8):
        value, digit = divmod(value, 30)
        symbols.append(_REF_SYMBOLS[digit])
    return f"BX-{''.join(symbols[:4])}-{''.join(symbols[4:])}"


@cache
def _due(day: dt.date, working_days: int) -> dt.datetime:
    """``add_working_days`` for a report sent on ``day`` (it depends on the Brussels day only)."""
    from portal.reports.deadlines import add_working_days
    from portal.times import BRUSSELS

    return add_working_days(dt.datetime.combine(day, dt.time(12), BRUSSELS), working_days)


@dataclass
class Dataset:
    reports: int
    seed: int
    now: dt.datetime
    staff_id: int
    categories: dict[str, tuple[int, int]]  # code -> (acknowledge_days, close_days)
    postal_codes: dict[str, str]  # NIS -> first postal code


def report_rows(data: Dataset) -> Iterator[list[dict[str, Any]]]:
    """The reports to insert, ``CHUNK`` rows at a time, oldest first."""
    from portal.reports.deadlines import BRUSSELS

    rng = random.Random(data.seed)
    span = dt.timedelta(days=365.25 * YEARS).total_seconds()
    start = data.now - dt.timedelta(seconds=span)
    nis_codes, nis_weights = zip(*MUNICIPALITY_WEIGHTS.items(), strict=True)
    cat_codes, cat_weights = zip(*CATEGORY_WEIGHTS.items(), strict=True)
    finals, final_weights = zip(*FINAL_WEIGHTS.items(), strict=True)
    languages, language_weights = zip(*LANGUAGE_WEIGHTS.items(), strict=True)
    retention = dt.timedelta(days=365)
    for first in range(0, data.reports, CHUNK):
        size = min(CHUNK, data.reports - first)
        places = rng.choices(nis_codes, nis_weights, k=size)
        categories = rng.choices(cat_codes, cat_weights, k=size)
        final_statuses = rng.choices(finals, final_weights, k=size)
        langs = rng.choices(languages, language_weights, k=size)
        rows = []
        for k in range(size):
            number = first + k
            created = start + dt.timedelta(seconds=span * (number + rng.random()) / data.reports)
            age_days = (data.now - created).total_seconds() / 86400
            _limit, new, acknowledged, in_progress = next(s for s in OPEN_SHARES if age_days <= s[0])
            draw = rng.random()
            status = ("new" if draw < new else "acknowledged" if draw < new + acknowledged
                      else "in_progress" if draw < new + acknowledged + in_progress
                      else final_statuses[k])
            acknowledged_at = (None if status == "new"
                               else min(created + dt.timedelta(hours=rng.uniform(1, 72)), data.now))
            closed_at = (min(created + dt.timedelta(days=rng.uniform(1, 40)), data.now)
                         if status in FINAL_WEIGHTS else None)
            erased = closed_at + retention if closed_at and closed_at + retention < data.now else None
            ack_days, close_days = data.categories[categories[k]]
            day = created.astimezone(BRUSSELS).date()
            located = rng.random() < 0.6
            rows.append({
                "reference": reference(number),
                "tracking_hash": hashlib.sha256(f"{data.seed}:{number}".encode()).hexdigest(),
                "submission_key": None,
                "category_code": categories[k],
                "municipality_nis": places[k],
                "status": status,
                "description": DESCRIPTIONS[number % len(DESCRIPTIONS)],
                "occurred_on": day - dt.timedelta(days=rng.randrange(3)),
                "occurred_at_time": None,
                "street": "" if erased else f"Rue de l'Exemple {number % 200 + 1}",
                "postal_code": data.postal_codes[places[k]],
                "latitude": 50.80 + rng.random() * 0.12 if located else None,
                "longitude": 4.28 + rng.random() * 0.18 if located else None,
                "details": {},
                "email": (f"resident{number}@example.invalid"
                          if not erased and rng.random() < 0.3 else None),
                "phone": None,
                "language": langs[k],
                "source": "open311" if number % 7 == 0 else "web",
                "created_at": created,
                "updated_at": erased or closed_at or acknowledged_at or created,
                "acknowledged_at": acknowledged_at,
                "closed_at": closed_at,
                "acknowledge_due_at": _due(day, ack_days),
                "close_due_at": _due(day, close_days),
                "assigned_to_id": (data.staff_id if places[k] == IXELLES and status != "new"
                                   and rng.random() < 0.3 else None),
                "version": 1,
                "spam": rng.random() < 0.01,
                "erased_at": erased,
            })
        yield rows


def build(app: Flask, reports: int, seed: int) -> tuple[int, int]:
    """Add the two accounts and the reports; returns the users' ids (staff, coordinator)."""
    from sqlalchemy import event, insert, select

    from portal import geo
    from portal.accounts.models import Role
    from portal.accounts.services import create_user
    from portal.extensions import db
    from portal.reports.models import Category, Report

    with app.app_context():
        staff = create_user(STAFF_EMAIL, "Staff Ixelles", Role.STAFF, PASSWORD,
                            municipalities=(IXELLES,))
        coordinator = create_user(COORDINATOR_EMAIL, "Coordinator", Role.COORDINATOR, PASSWORD)
        db.session.commit()
        places = {m.nis: m.postal_codes[0] for m in geo.municipalities()}
        if set(places) != set(MUNICIPALITY_WEIGHTS):
            raise RuntimeError(f"the Region's municipalities are not the 19 expected: {sorted(places)}")
        categories = {c.code: (c.acknowledge_days, c.close_days)
                      for c in db.session.scalars(select(Category))}
        if set(categories) != set(CATEGORY_WEIGHTS):
            raise RuntimeError(f"the seeded categories are not the 7 expected: {sorted(categories)}")
        data = Dataset(reports, seed, dt.datetime.now(dt.UTC), staff.id, categories, places)
        staff_id, coordinator_id = staff.id, coordinator.id
        db.session.remove()

        # A bigger page cache for the build only: the connections are dropped afterwards.
        @event.listens_for(db.engine, "connect")
        def _build_cache(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("PRAGMA cache_size=-262144")

        db.engine.dispose()
        statement = insert(Report.__table__)
        started = time.perf_counter()
        generating = 0.0
        done = 0
        rows_iter = report_rows(data)
        while True:
            before = time.perf_counter()
            rows = next(rows_iter, None)
            generating += time.perf_counter() - before
            if rows is None:
                break
            with db.engine.begin() as connection:
                connection.execute(statement, rows)
            done += len(rows)
            if done % 200_000 == 0 or done == reports:
                elapsed = time.perf_counter() - started
                print(f"  build: {done:>9,} reports in {elapsed:6.1f} s", flush=True)
        elapsed = time.perf_counter() - started
        event.remove(db.engine, "connect", _build_cache)
        db.engine.dispose()
        print(f"  build: {reports:,} reports inserted in {elapsed:.1f} s ({reports / elapsed:,.0f}"
              f" rows/s; {generating:.1f} s of it making the rows in Python)", flush=True)
    return staff_id, coordinator_id


def describe(app: Flask, instance: Path) -> None:
    """One line about what was built: sizes and shares the figures depend on."""
    from sqlalchemy import text

    from portal.extensions import db

    with app.app_context():
        one = db.session.execute(text(
            "SELECT count(*), sum(municipality_nis = :ix), sum(spam), "
            "sum(status IN ('new','acknowledged','in_progress')), sum(status = 'new'), "
            "sum(municipality_nis = :ix AND status IN ('new','acknowledged','in_progress')) "
            "FROM report"), {"ix": IXELLES}).one()
        db.session.remove()
    total, ixelles, spam, open_, new, ixelles_open = (int(x or 0) for x in one)
    size = sum(p.stat().st_size for p in instance.glob("portal.sqlite3*"))
    print(f"  data: {total:,} reports ({ixelles:,} in Ixelles, {ixelles_open:,} of them open); "
          f"open {open_:,} ({open_ / total:.1%}), new {new:,}, spam {spam:,}; database "
          f"{size / 2**20:,.0f} MiB", flush=True)


# --------------------------------------------------------------------------- measuring

@dataclass
class Case:
    label: str
    #: What the person waits for on one page load (flagged when slow); the export is not.
    page: bool
    #: A function's case: called with the user, returns how many reports it gave.
    run: Callable[[StaffUser], int] | None = None
    #: A page's case: the path to GET for a user id.
    path: Callable[[int], str] | None = None


@dataclass
class Result:
    times_ms: list[float] = field(default_factory=list)
    #: Of each timed run, the time spent in ``triage.status_counts``.
    counts_ms: list[float] = field(default_factory=list)
    rows: int = 0
    #: SQL statements (SELECT, INSERT, UPDATE, DELETE) of the warm-up run.
    sql_count: int = 0
    #: The warm-up run's SELECTs from ``report``, with their parameters (for the plans).
    statements: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        """The 95th percentile, nearest rank (with 20 runs: the second slowest)."""
        ordered = sorted(self.times_ms)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]

    @property
    def counts_median(self) -> float:
        return statistics.median(self.counts_ms) if self.counts_ms else 0.0


class Watch:
    """While active: times ``triage.status_counts`` and, during the warm-up, captures the SQL."""

    def __init__(self, result: Result, engine: Engine) -> None:
        self.result = result
        self.engine = engine
        self.counts_s = 0.0
        self.capturing = False

    @contextmanager
    def active(self) -> Iterator[None]:
        from sqlalchemy import event

        from portal.reports import triage

        original = triage.status_counts

        def timed(user: StaffUser, filters: Any) -> dict[str, int]:
            started = time.perf_counter()
            try:
                return original(user, filters)
            finally:
                self.counts_s += time.perf_counter() - started

        def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_a: Any) -> None:
            if not self.capturing:
                return
            verb = statement.lstrip()[:6].upper()
            if verb in ("SELECT", "INSERT", "UPDATE", "DELETE"):
                self.result.sql_count += 1
            if verb == "SELECT" and "FROM report" in statement:
                self.result.statements.append((statement, parameters))

        event.listen(self.engine, "before_cursor_execute", capture)
        try:
            with mock.patch.object(triage, "status_counts", timed):
                yield
        finally:
            event.remove(self.engine, "before_cursor_execute", capture)

    def warm_up(self, run: Callable[[], int]) -> None:
        """The untimed first run: how many reports it gave, and its statements."""
        self.capturing = True
        try:
            self.result.rows = run()
        finally:
            self.capturing = False

    def timed(self, run: Callable[[], object]) -> None:
        self.counts_s = 0.0
        started = time.perf_counter()
        run()
        self.result.times_ms.append((time.perf_counter() - started) * 1000)
        self.result.counts_ms.append(self.counts_s * 1000)


def last_month(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last complete calendar month before ``today``."""
    end = today.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


def cases(deep_cursor: dict[int, str], month: tuple[dt.date, dt.date]) -> list[Case]:
    from portal.reports import triage

    def page(args: dict[str, str], cursor_of: dict[int, str] | None = None) -> Callable[[StaffUser], int]:
        def run(user: StaffUser) -> int:
            cursor = cursor_of[user.id] if cursor_of is not None else ""
            return len(triage.work_list(user, triage.parse_filters(args), cursor).reports)
        return run

    def counts(user: StaffUser) -> int:
        return sum(triage.status_counts(user, triage.parse_filters({})).values())

    month_args = {"from": month[0].isoformat(), "to": month[1].isoformat()}

    def export(user: StaffUser) -> int:
        return len(triage.export_rows(user, triage.parse_filters(month_args)))

    return [
        Case("work_list page 1", True, page({})),
        Case("work_list deep page", True, page({}, deep_cursor)),
        Case("work_list status=new", True, page({"status": "new"})),
        Case("work_list status=open", True, page({"status": "open"})),
        Case("work_list overdue=1", True, page({"overdue": "1"})),
        Case(f"work_list category={CATEGORY}", True, page({"category": CATEGORY})),
        Case("status_counts (default filters)", True, counts),
        Case(f"export_rows {month[0]:%Y-%m}", False, export),
    ]


def http_cases(deep_cursor: dict[int, str], month: tuple[dt.date, dt.date]) -> list[Case]:
    """The pages fetched through the test client: the list, its deep page, the month's CSV."""
    month_query = urlencode({"from": month[0].isoformat(), "to": month[1].isoformat()})
    return [
        Case("GET /fr/manage/reports", True, path=lambda _uid: "/fr/manage/reports"),
        Case("GET /fr/manage/reports?after=<deep>", True,
             path=lambda uid: "/fr/manage/reports?" + urlencode({"after": deep_cursor[uid]})),
        Case(f"GET …/export.csv?{month_query}", False,
             path=lambda _uid: f"/fr/manage/reports/export.csv?{month_query}"),
    ]


def fresh_user(user_id: int) -> StaffUser:
    """The user read again in an emptied session, municipalities loaded (outside the timing)."""
    from portal.accounts.models import StaffUser
    from portal.extensions import db

    db.session.rollback()
    db.session.expunge_all()
    user = db.session.get(StaffUser, user_id)
    assert user is not None
    _ = user.municipality_codes
    return user


def measure(app: Flask, engine: Engine, case: Case, user_id: int, repeat: int,
            budget_s: float) -> Result:
    """One warm-up run (its SQL captured), then up to ``repeat`` timed runs of a function."""
    from portal.extensions import db

    assert case.run is not None
    run = case.run
    result = Result()
    watch = Watch(result, engine)
    with app.test_request_context("/fr/manage/reports"), watch.active():
        user = fresh_user(user_id)
        watch.warm_up(lambda: run(user))
        deadline = time.monotonic() + budget_s
        for _ in range(repeat):
            watch.timed(partial(run, fresh_user(user_id)))
            if time.monotonic() > deadline:
                break
        db.session.rollback()
        db.session.expunge_all()
    return result


def measure_http(app: Flask, engine: Engine, case: Case, user_id: int, repeat: int,
                 budget_s: float) -> Result:
    """GET the case's path through the test client, logged in as ``user_id``; must answer 200."""
    assert case.path is not None
    path = case.path(user_id)
    from portal.accounts import sessions
    from portal.extensions import db

    with app.app_context():
        secret = sessions.start(user_id)  # the staff session a log-in opens on the server
        db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        # What Flask-Login's login_user and the log-in view leave in the session.
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
        session[sessions.COOKIE_KEY] = secret

    def get() -> TestResponse:
        response = client.get(path)
        response.get_data()
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} as user {user_id} answered HTTP {response.status_code}")
        return response

    def first() -> int:
        response = get()
        body = response.get_data(as_text=True)
        if response.mimetype == "text/csv":
            return max(0, body.count("\n") - 1)  # CSV lines without the header
        return body.count('class="report-item')

    result = Result()
    watch = Watch(result, engine)
    with watch.active():
        watch.warm_up(first)
        deadline = time.monotonic() + budget_s
        for _ in range(repeat):
            watch.timed(get)
            if time.monotonic() > deadline:
                break
    return result


def deep_cursor_for(app: Flask, user_id: int, pages: int) -> str:
    """The cursor of the page after ``pages`` pages of the default list (counts stubbed)."""
    from portal.reports import triage

    with app.test_request_context("/fr/manage/reports"):
        user = fresh_user(user_id)
        cursor = ""
        with mock.patch.object(triage, "status_counts", lambda _user, _filters: {}):
            for number in range(pages):
                page = triage.work_list(user, triage.parse_filters({}), cursor)
                if page.next_cursor is None:
                    print(f"  deep page: the list of user {user_id} has only {number + 1} pages",
                          flush=True)
                    break
                cursor = page.next_cursor
        fresh_user(user_id)
    return cursor


# --------------------------------------------------------------------------- plans and table

def query_plan(app: Flask, statement: str, parameters: Any) -> list[str]:
    """SQLite's EXPLAIN QUERY PLAN of one captured statement, as an indented tree."""
    from portal.extensions import db

    with app.test_request_context("/fr/manage/reports"):
        rows = db.session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, parameters).all()
        db.session.rollback()
    depth: dict[int, int] = {0: -1}
    lines = []
    for ident, parent, _unused, detail in rows:
        depth[ident] = depth.get(parent, -1) + 1
        lines.append("  " * depth[ident] + detail)
    return lines


def inline(statement: str, parameters: Sequence[Any]) -> str:
    """The statement with its parameters written in, to read (not to run)."""
    parts = statement.split("?")
    out = [parts[0]]
    for value, rest in zip(parameters, parts[1:], strict=False):
        out.append(repr(value) if isinstance(value, str) else str(value))
        out.append(rest)
    return " ".join("".join(out).split())


# --------------------------------------------------------------------------- main

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=1_000_000,
                        help="reports to insert (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=20,
                        help="timed runs per case and user, after one warm-up (default 20)")
    parser.add_argument("--deep-pages", type=int, default=50,
                        help="pages to follow before the deep page (default 50)")
    parser.add_argument("--budget", type=float, default=60.0,
                        help="seconds after which a case stops repeating (default 60)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the data (default 1)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance folder")
    args = parser.parse_args(argv)
    if not 1_000 <= args.reports <= 5_000_000:
        parser.error("--reports: 1,000 to 5,000,000")
    if not 1 <= args.repeat <= 500:
        parser.error("--repeat: 1 to 500")
    if not 1 <= args.deep_pages <= 10_000:
        parser.error("--deep-pages: 1 to 10,000")
    if not 1 <= args.budget <= 600:
        parser.error("--budget: 1 to 600 seconds")
    return args


def run(args: argparse.Namespace, instance: common.Instance, started: float) -> None:
    """Build the reports, then measure every case for both users and print plans and tables."""
    from portal.extensions import db
    from portal.reports.deadlines import BRUSSELS

    app = instance.app()
    staff_id, coordinator_id = build(app, args.reports, args.seed)
    describe(app, instance.path)
    print(f"  set-up and build: {time.perf_counter() - started:.1f} s in all", flush=True)

    users = (("Staff Ixelles (NIS 21009)", staff_id), ("Coordinator (whole Region)",
                                                       coordinator_id))
    with app.app_context():
        engine = db.engine
    deep = {uid: deep_cursor_for(app, uid, args.deep_pages) for _name, uid in users}
    month = last_month(dt.datetime.now(BRUSSELS).date())
    results: dict[tuple[str, int], Result] = {}
    function_cases = cases(deep, month)
    page_cases = http_cases(deep, month)
    for case in [*function_cases, *page_cases]:
        measure_case = measure if case.run is not None else measure_http
        for _name, uid in users:
            results[case.label, uid] = measure_case(app, engine, case, uid, args.repeat,
                                                    args.budget)
        print(f"  measured: {case.label}", flush=True)

    print("\nQuery plans: EXPLAIN QUERY PLAN of the SELECTs from report each call ran "
          "(SQLite, no ANALYZE)")
    for name, uid in users:
        print(f"\n== {name}")
        seen: dict[tuple[str, ...], str] = {}
        for case in function_cases:
            statements = results[case.label, uid].statements
            for statement, parameters in statements:
                kind = ("counts" if "count(*)" in statement.lower()
                        else "rows" if len(statements) > 1 else "query")
                title = f"{case.label}: {kind}"
                plan = tuple(query_plan(app, statement, parameters))
                if plan in seen:
                    print(f"-- {title}: same plan as {seen[plan]}")
                    continue
                seen[plan] = title
                print(f"-- {title}")
                if case is function_cases[0]:
                    print("   SQL: " + inline(statement, parameters))
                for line in plan:
                    print("   " + line)

    print(f"\nTimes in ms: median and 95th percentile (nearest rank) of the timed runs; "
          f"counts: the median time spent in status_counts; rows: reports returned (CSV lines "
          f"for the export); SQL: statements of one call. SLOW: a page load whose median is "
          f"over {SLOW_MS:.0f} ms.")
    for name, uid in users:
        lines = []
        for case in [*function_cases, *page_cases]:
            result = results[case.label, uid]
            note = "SLOW" if case.page and result.median > SLOW_MS else ""
            if len(result.times_ms) < args.repeat:
                note = f"{note} ({len(result.times_ms)} runs: --budget)".strip()
            lines.append((case.label, f"{result.median:,.1f}", f"{result.p95:,.1f}",
                          f"{result.counts_median:,.1f}" if result.counts_ms and
                          result.counts_median else "-",
                          f"{result.rows:,}", f"{result.sql_count:,}", note))
        print(f"\n{name}")
        print(table(("case", "median", "p95", "counts", "rows", "SQL", "note"), lines,
                    right={1, 2, 3, 4, 5}))
    print(f"\nDeep page: page {args.deep_pages + 1} of the default list. Export: "
          f"{month[0]} to {month[1]}. Load average after: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    common.begin("Staff workspace at scale", f"SQLite {sqlite3.sqlite_version}")
    print(f"{args.reports:,} reports, {args.repeat} timed runs per case (+1 warm-up), deep page "
          f"= page {args.deep_pages + 1}", flush=True)

    def measure() -> None:
        started = time.perf_counter()
        with common.workdir("portal-workspace-bench-", args.keep) as tmp, \
                common.throwaway_instance(tmp / "instance") as instance:
            run(args, instance, started)

    return common.exit_status(measure)


if __name__ == "__main__":
    sys.exit(main())
