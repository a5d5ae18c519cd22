"""The counts per status of the staff list: the ``report_count`` table stays equal to COUNT(*)
whatever changes the reports, and the list's counts read from it agree with counting."""
from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import delete, func, insert, select, update

from portal.accounts.models import StaffUser
from portal.extensions import db
from portal.reports import counts, services, triage
from portal.reports.models import Report, ReportCount, Status
from tests.staff import make_user

PLACES = (("1000", None), ("1060", None), ("1050", "21009"), ("1030", None))
CATEGORIES = ("vandalism", "burglary", "school-racket", "other-theft")


def table() -> dict[tuple[Any, ...], int]:
    """The table's counts, rows at 0 left out."""
    rows = db.session.execute(select(ReportCount.municipality_nis, ReportCount.category_code,
                                     ReportCount.status, ReportCount.spam, ReportCount.n))
    return {(m, c, s, bool(spam)): n for m, c, s, spam, n in rows if n}


def counted() -> dict[tuple[Any, ...], int]:
    key = (Report.municipality_nis, Report.category_code, Report.status, Report.spam)
    rows = db.session.execute(select(*key, func.count()).group_by(*key))
    return {(m, c, s, bool(spam)): n for m, c, s, spam, n in rows}


def submit(rng: random.Random, key: str | None = None) -> Report:
    postal_code, choice = rng.choice(PLACES)
    return services.submit_report(services.Draft(
        category_code=rng.choice(CATEGORIES), description="Une vitre brisée.",
        occurred_on=date.today() - timedelta(days=1), postal_code=postal_code, language="fr",
        municipality_choice=choice, submission_key=key or uuid.uuid4().hex)).report


def one_operation(rng: random.Random, user: StaffUser, keys: list[str]) -> str:
    """One random change through the portal's own paths (or plain SQL); returns its name."""
    reports = list(db.session.scalars(select(Report).order_by(Report.id)))
    choice = rng.choice(["submit", "submit", "double", "acknowledge", "status", "status", "transfer",
                         "spam", "erase", "core insert", "core update", "delete", "rolled back"])
    if choice in ("submit", "double") or not reports:
        key = rng.choice(keys) if choice == "double" and keys else uuid.uuid4().hex
        keys.append(key)
        submit(rng, key)
        return choice
    report = rng.choice(reports)
    try:
        if choice == "acknowledge":
            triage.acknowledge(user, report, report.version)
        elif choice == "status":
            triage.change_status(user, report, report.version,
                                 rng.choice([s for s in Status.ALL if s != Status.DUPLICATE]))
        elif choice == "transfer":
            triage.transfer(user, report, report.version, rng.choice(["21001", "21009", "21004"]),
                            "Adresse dans une autre commune.")
        elif choice == "spam":
            triage.mark_spam(user, report, report.version, not report.spam)
        elif choice == "erase":
            triage.erase(user, report, report.version, "Demande du signalant.")
        elif choice == "core insert":
            values = {c.name: getattr(report, c.key) for c in Report.__table__.columns
                      if c.name not in ("id", "reference", "tracking_hash", "submission_key")}
            db.session.execute(insert(Report.__table__).values(
                **values, reference=services.new_reference(), tracking_hash=uuid.uuid4().hex))
        elif choice == "core update":
            db.session.execute(update(Report.__table__).where(Report.id == report.id).values(
                status=rng.choice(Status.ALL), category_code=rng.choice(CATEGORIES)))
        elif choice == "delete":
            db.session.execute(delete(Report.__table__).where(Report.id == report.id))
        elif choice == "rolled back":
            triage.change_status(user, report, report.version, Status.RESOLVED
                                 if report.status != Status.RESOLVED else Status.NEW)
            triage.mark_spam(user, report, report.version, not report.spam)
            db.session.rollback()
            return choice
    except triage.ActionError:
        db.session.rollback()
        return choice + " (refused)"
    db.session.commit()
    return choice


def test_random_operations_keep_the_counts_equal_to_count(app: Flask) -> None:
    user_id = make_user(app, "coord@region.example", "coordinator")
    rng = random.Random(18)
    keys: list[str] = []
    done: set[str] = set()
    with app.test_request_context("/fr/manage/reports", method="POST"):
        user = db.session.get(StaffUser, user_id)
        for step in range(120):
            done.add(one_operation(rng, user, keys))
            db.session.expire_all()
            assert table() == counted(), f"after step {step}"
        assert sum(counted().values()) > 10
    # Every kind of change ran at least once.
    assert {"submit", "double", "acknowledge", "status", "transfer", "spam", "erase", "core insert",
            "core update", "delete", "rolled back"} <= done


def test_recount_rebuilds_the_table(app: Flask) -> None:
    rng = random.Random(3)
    with app.test_request_context("/fr/report/", method="POST"):
        for _ in range(5):
            submit(rng)
        db.session.commit()
        expected = table()
        db.session.execute(update(ReportCount).values(n=99))
        counts.recount()
        db.session.commit()
        assert table() == expected == counted()


def test_list_counts_from_the_table_match_counting(app: Flask) -> None:
    staff_id = make_user(app, "own@ixelles.example", "staff", ("21009", "21001"))
    coordinator_id = make_user(app, "coord@region.example", "coordinator")
    rng = random.Random(7)
    with app.test_request_context("/fr/manage/reports", method="POST"):
        coordinator = db.session.get(StaffUser, coordinator_id)
        for _ in range(30):
            report = submit(rng)
            db.session.commit()
            if rng.random() < 0.5:
                triage.change_status(coordinator, report, report.version,
                                     rng.choice([Status.ACKNOWLEDGED, Status.RESOLVED]))
            if rng.random() < 0.2:
                triage.mark_spam(coordinator, report, report.version, True)
            db.session.commit()
        staff = db.session.get(StaffUser, staff_id)
        for user in (staff, coordinator):
            for args in ({}, {"category": "vandalism"}, {"municipality": "21009"}, {"spam": "1"},
                         {"category": "burglary", "municipality": "21001", "status": "new"}):
                filters = triage.parse_filters(args)
                from_table = triage.status_counts(user, filters)
                # The same filters plus one that the table cannot answer and that every report
                # matches: counted with COUNT(*).
                filters.date_from = date(2000, 1, 1)
                assert triage.status_counts(user, filters) == from_table, (user.role, args)
        assert sum(triage.status_counts(coordinator, triage.parse_filters({})).values()) > 0
