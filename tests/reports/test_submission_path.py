"""How a report submission uses the database: its reference data kept per worker and still
exact across workers, the write transaction opened only to store, one report per submission key.

Two apps on one database stand for two gunicorn workers (or two hosts): each keeps its own copy
of the categories and contact addresses (``portal/reports/reference_data.py``), and a change
committed through one must be seen by the other's next request.
"""
from __future__ import annotations

import io
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select, text

from portal.db import WriteInReadOnlyTransaction, read_aside
from portal.extensions import db
from portal.notify.models import OutboxMessage
from portal.reports import reference_data, services
from portal.reports.models import Report, ReportCount, ReportEvent, ReportPhoto
from tests.conftest import csrf_token
from tests.reports.helpers import jpeg_with_gps, open_form, report_data
from tests.staff import category_form_data, login, make_user
from tests.workers import another_worker

FORM = "/fr/report/new/vandalism"
ADMIN = "admin@region.example"


@pytest.fixture
def other_worker(app: Flask, tmp_path: Path, geo_cache: Path) -> Iterator[Flask]:
    """A second portal process on the same database, with its own copy of the reference data."""
    with another_worker(app, tmp_path, geo_cache) as other:
        yield other


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    """An administrator logged in on the first worker."""
    make_user(app, ADMIN, "admin")
    client = app.test_client()
    assert login(client, ADMIN).status_code == 303
    return client


def kept_version(app: Flask) -> int | None:
    """The version of the worker's copy (None: it has none yet)."""
    kept = app.extensions.get("portal_report_reference_data")
    return None if kept is None else kept.version


def category_form(admin: FlaskClient, code: str, **changes: str) -> dict[str, str]:
    """The administrator's category form as shown, with ``changes`` (``active=""``: unticked)."""
    page = admin.get(f"/fr/manage/admin/categories/{code}").get_data(as_text=True)
    data = category_form_data(page, **changes)
    return {name: value for name, value in data.items() if value != ""}


def count(app: Flask, model: Any) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)))


def reports(app: Flask) -> list[Report]:
    with app.app_context():
        return list(db.session.scalars(select(Report).order_by(Report.id)))


def outbox(app: Flask) -> list[tuple[str, str | None, list[int]]]:
    """(recipient, kind, report ids of a digest) of every message, oldest first."""
    with app.app_context():
        return [(m.recipient, m.kind, list((m.parameters or {}).get("report_ids", [])))
                for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


# Reference data kept per worker ---------------------------------------------------------------

def test_a_category_disabled_on_one_worker_is_no_longer_offered_by_another(
        app: Flask, other_worker: Flask, admin: FlaskClient) -> None:
    resident = other_worker.test_client()
    html, hidden = open_form(resident, "fr", "vandalism")
    before = kept_version(other_worker)
    assert before is not None  # the other worker answers from its own copy from now on
    assert resident.get(FORM).status_code == 200
    assert kept_version(other_worker) == before  # read once, then only checked

    assert admin.post("/fr/manage/admin/categories/vandalism",
                      data=category_form(admin, "vandalism", active="")).status_code == 303

    # The next request of the other worker knows it, without a restart or a wait.
    assert resident.get(FORM).status_code == 404
    assert kept_version(other_worker) > before
    # A form opened before the change is refused too, and nothing is stored.
    refused = resident.post(FORM, data={**hidden, **report_data()}, content_type="multipart/form-data")
    assert refused.status_code == 404
    assert reports(app) == []
    # And offered again as soon as it is ticked again.
    assert admin.post("/fr/manage/admin/categories/vandalism",
                      data=category_form(admin, "vandalism", active="y")).status_code == 303
    assert resident.get(FORM).status_code == 200


def test_a_category_edited_on_one_worker_shows_on_another_at_once(
        app: Flask, other_worker: Flask, admin: FlaskClient) -> None:
    resident = other_worker.test_client()
    assert "Vandalisme" in resident.get(FORM).get_data(as_text=True)
    assert admin.post("/fr/manage/admin/categories/vandalism", data=category_form(
        admin, "vandalism", name_fr="Dégradations du mobilier urbain", acknowledge_days="5",
        close_days="40")).status_code == 303
    assert "Dégradations du mobilier urbain" in resident.get(FORM).get_data(as_text=True)
    # The deadlines of a report filed there are the new ones.
    html, hidden = open_form(resident, "fr", "vandalism")
    assert resident.post(FORM, data={**hidden, **report_data()},
                         content_type="multipart/form-data").status_code == 303
    [report] = reports(app)
    with other_worker.app_context():
        from portal.reports.deadlines import add_working_days

        assert report.acknowledge_due_at == add_working_days(report.created_at, 5)
        assert report.close_due_at == add_working_days(report.created_at, 40)


def test_contact_addresses_changed_on_one_worker_are_used_by_another_at_once(
        app: Flask, other_worker: Flask, admin: FlaskClient) -> None:
    resident = other_worker.test_client()

    def file_report() -> int:
        html, hidden = open_form(resident, "fr", "vandalism")
        response = resident.post(FORM, data={**hidden, **report_data(postal_code="1060")},
                                 content_type="multipart/form-data")
        assert response.status_code == 303
        return reports(app)[-1].id

    first = file_report()  # the other worker's copy: Saint-Gilles has no address
    assert outbox(app) == []
    page = admin.get("/fr/manage/admin/contacts").get_data(as_text=True)
    assert admin.post("/fr/manage/admin/contacts", data={
        "csrf_token": csrf_token(page), "municipality": "21013", "category": "",
        "email": "prevention@saint-gilles.example", "language": "nl"}).status_code == 303
    second = file_report()
    assert outbox(app) == [("prevention@saint-gilles.example", "report_digest_staff", [second])]

    listing = admin.get("/fr/manage/admin/contacts").get_data(as_text=True)
    with app.app_context():
        [contact_id] = [int(i) for i in re.findall(r"/contacts/(\d+)/remove", listing)]
    assert admin.post(f"/fr/manage/admin/contacts/{contact_id}/remove",
                      data={"csrf_token": csrf_token(listing)}).status_code == 303
    file_report()  # not added to the digest still collecting: the address is gone
    assert outbox(app) == [("prevention@saint-gilles.example", "report_digest_staff", [second])]
    assert first < second


def test_a_change_in_the_session_is_seen_by_its_own_transaction(app: Flask) -> None:
    """A service that reads the reference data after changing it in the same transaction sees
    its change, and what it read is not kept for others (it might never be committed)."""
    from portal.reports.models import Category

    with app.app_context():
        kept = reference_data.current()
        assert kept.active_category("vandalism") is not None
        db.session.get(Category, "vandalism").active = False
        assert reference_data.current().active_category("vandalism") is None
        db.session.rollback()
        assert reference_data.current() is kept
        assert reference_data.current().active_category("vandalism") is not None


def test_reading_aside_cannot_write(app: Flask) -> None:
    with app.app_context():
        sqlite_db = db.engine.url.get_backend_name() == "sqlite"
        with read_aside() as connection:
            assert connection.execute(text("SELECT count(*) FROM category")).scalar() > 0
            if sqlite_db:  # PostgreSQL needs no mark: its transactions never take a lock to read
                with pytest.raises(WriteInReadOnlyTransaction):
                    connection.execute(text("UPDATE category SET position = position"))


# The write transaction opens only to store --------------------------------------------------

@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement the app sends meanwhile (SQLite's BEGINs included)."""
    seen: list[str] = []

    def record(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


WRITES = re.compile(r"^(INSERT|UPDATE|DELETE|REPLACE|BEGIN IMMEDIATE)\b", re.I)


def test_a_form_with_errors_writes_nothing_and_takes_no_write_lock(app: Flask, client: FlaskClient) -> None:
    html, hidden = open_form(client, "fr", "vandalism")
    tables = (Report, ReportEvent, ReportCount, OutboxMessage)
    before = [count(app, table) for table in tables]
    with statements(app) as seen:
        response = client.post(FORM, data={**hidden, **report_data(description="", postal_code="12")},
                               content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Décrivez ce qui s" in response.get_data(as_text=True)
    assert [s for s in seen if WRITES.match(s)] == []
    assert [count(app, table) for table in tables] == before


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)  # PostgreSQL has no database-wide lock
def test_a_form_with_errors_does_not_wait_for_another_writer(app: Flask, client: FlaskClient) -> None:
    """On SQLite: while another process holds the write lock, a form with errors is still
    answered (waiting for the lock would end in SQLite's busy timeout and an error page)."""
    with app.app_context():
        url = db.engine.url
    assert url.get_backend_name() == "sqlite"
    html, hidden = open_form(client, "fr", "vandalism")
    other = sqlite3.connect(url.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE category SET position = position WHERE code = 'burglary'")
    try:
        response = client.post(FORM, data={**hidden, **report_data(occurred_on="2999-01-01")},
                               content_type="multipart/form-data")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert response.status_code == 422
    assert "La date ne peut pas être dans le futur" in response.get_data(as_text=True)


def test_the_write_transaction_holds_only_the_inserts(app: Flask, client: FlaskClient) -> None:
    html, hidden = open_form(client, "fr", "vandalism")
    with statements(app) as seen:
        response = client.post(FORM, data={**hidden, **report_data(email="resident@example.org")},
                               content_type="multipart/form-data")
    assert response.status_code == 303
    with app.app_context():
        sqlite_db = db.engine.url.get_backend_name() == "sqlite"
    opening = ["BEGIN IMMEDIATE"] if sqlite_db else []
    # Every statement of the request: the write transaction begins with the first insert. (The
    # version of the reference data is read on the driver's own cursor, outside SQLAlchemy.)
    assert [s.split(" (")[0] for s in seen] == [
        *opening, "INSERT INTO report", "INSERT INTO report_event", "INSERT INTO outbox_message"]


def test_a_form_back_with_its_kept_photo_opens_the_write_transaction_only_to_store(
        app: Flask, client: FlaskClient) -> None:
    html, hidden = open_form(client, "fr", "vandalism")
    # Right for the form, refused by the portal's rules: the photo is stored and kept.
    back = client.post(FORM, content_type="multipart/form-data", data={
        **hidden, **report_data(occurred_on="2999-01-01"),
        "photos": (io.BytesIO(jpeg_with_gps()), "a.jpg")})
    page = back.get_data(as_text=True)
    assert back.status_code == 422 and "La date ne peut pas être dans le futur" in page
    kept = re.search(r'name="kept_photos" type="hidden" value="([^"]+)"', page).group(1)
    with statements(app) as seen:
        response = client.post(FORM, content_type="multipart/form-data", data={
            **hidden, **report_data(), "kept_photos": kept, "csrf_token": csrf_token(page)})
    assert response.status_code == 303
    with app.app_context():
        sqlite_db = db.engine.url.get_backend_name() == "sqlite"
    writes = [s.split(" (")[0] for s in seen if WRITES.match(s)]
    assert writes == [*(["BEGIN IMMEDIATE"] if sqlite_db else []), "INSERT INTO report",
                      "INSERT INTO report_event", "INSERT INTO report_photo"]
    # The photo was looked up among the filed ones before, outside the write transaction.
    first_write = seen.index(next(s for s in seen if WRITES.match(s)))
    assert any("FROM report_photo" in s for s in seen[:first_write])
    [report] = reports(app)
    with app.app_context():
        assert len(db.session.get(Report, report.id).photos) == 1


# One report per submission key ------------------------------------------------------------------

def test_a_double_click_stores_one_report_with_everything_once(app: Flask, client: FlaskClient) -> None:
    html, hidden = open_form(client, "fr", "vandalism")
    data = {**hidden, **report_data(email="resident@example.org")}
    first = client.post(FORM, content_type="multipart/form-data",
                        data={**data, "photos": (io.BytesIO(jpeg_with_gps()), "a.jpg")})
    second = client.post(FORM, content_type="multipart/form-data",
                         data={**data, "photos": (io.BytesIO(jpeg_with_gps((20, 10))), "b.jpg")})
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    [report] = reports(app)
    assert first.headers["Location"].endswith(f"/fr/report/done/{report.reference}")
    assert count(app, ReportEvent) == 1
    assert outbox(app) == [("resident@example.org", "report_received", [])]
    with app.app_context():
        assert db.session.scalar(select(func.sum(ReportCount.n))) == 1
        [photo] = db.session.scalars(select(ReportPhoto)).all()
        assert (photo.report_id, photo.width, photo.height) == (report.id, 64, 48)
    # The second click's photo was not kept: only the first report's file is in the folder.
    assert sorted(p.name for p in Path(app.config["UPLOAD_DIR"]).iterdir() if p.is_file()) == [photo.filename]
    # Both answers lead to the same confirmation, with its tracking code.
    assert report.reference in client.get(second.headers["Location"]).get_data(as_text=True)


def test_a_taken_reference_is_drawn_again(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reference already used (about 1 in 10^11 per report) makes the insert store nothing,
    as a taken submission key does; another is drawn in the same transaction (on PostgreSQL a
    failed statement would have ended it)."""
    from datetime import date

    with app.app_context():
        draft: dict[str, Any] = {"category_code": "vandalism", "description": "Tags",
                                 "occurred_on": date(2026, 11, 2), "postal_code": "1060",
                                 "language": "fr"}
        taken = services.submit_report(services.Draft(**draft, submission_key="one")).reference
        drawn = iter([taken, taken, "BX-2222-3333"])
        monkeypatch.setattr(services, "new_reference", lambda: next(drawn))
        submitted = services.submit_report(services.Draft(**draft, submission_key="two"))
        assert (submitted.reference, submitted.created) == ("BX-2222-3333", True)
        # The same key again gives back the first report, whatever the reference drawn.
        monkeypatch.setattr(services, "new_reference", lambda: "BX-4444-5555")
        again = services.submit_report(services.Draft(**draft, submission_key="one"))
        assert (again.reference, again.created, again.tracking_secret) == (taken, False, None)
        db.session.commit()
        assert [r.reference for r in db.session.scalars(select(Report).order_by(Report.id))] == [
            taken, "BX-2222-3333"]
        assert db.session.scalar(select(func.count()).select_from(ReportEvent)) == 2
