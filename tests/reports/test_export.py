"""The staff list's CSV: opens by double-click with Belgian settings, every date one way, the
description and the dates of acknowledgement and closing, streamed from one query."""
from __future__ import annotations

import csv
import io
import re

import pytest
from flask import Flask
from sqlalchemy import event, select

from portal.extensions import db
from portal.reports import export
from portal.reports.models import AccessLog, Report
from tests.reports.helpers import post_report
from tests.staff import login, make_user

MOMENT = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


def staff_client(app: Flask, lang: str = "fr"):  # type: ignore[no-untyped-def]
    make_user(app, "own@ixelles.example", "staff", ("21009",))
    client = app.test_client()
    assert login(client, "own@ixelles.example", lang=lang).status_code == 303
    return client


def file_reports(app: Flask, count: int = 2) -> None:
    resident = app.test_client()
    for number in range(count):
        assert post_report(resident, "fr", "vandalism", postal_code="1050", municipality="21009",
                           description=f"Vitre brisée numéro {number}; « encore » une fois",
                           email=f"r{number}@example.org").status_code == 303


def read(data: bytes, delimiter: str) -> list[dict[str, str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))


@pytest.mark.parametrize(("lang", "delimiter", "description", "acknowledged", "closed"), [
    ("fr", ";", "Description", "Pris en charge le", "Clôturé le"),
    ("nl", ";", "Beschrijving", "Bevestigd op", "Afgesloten op"),
    ("en", ",", "Description", "Acknowledged on", "Closed on"),
])
def test_separator_columns_and_dates_per_language(app: Flask, lang: str, delimiter: str,
                                                  description: str, acknowledged: str,
                                                  closed: str) -> None:
    file_reports(app)
    with app.app_context():
        first = db.session.scalar(select(Report).order_by(Report.id))
        first.status = "resolved"
        first.acknowledged_at = first.closed_at = first.created_at
        db.session.commit()
    response = staff_client(app, lang).get(f"/{lang}/manage/reports/export.csv")
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Cache-Control"] == "no-store"
    rows = read(response.data, delimiter)
    assert len(rows) == 2
    oldest = rows[-1]  # newest first
    assert oldest[description] == "Vitre brisée numéro 0; « encore » une fois"
    assert MOMENT.fullmatch(oldest[acknowledged]) and oldest[acknowledged] == oldest[closed]
    assert rows[0][acknowledged] == rows[0][closed] == ""
    # One format for every date: the sending moment too, and the day of the facts.
    sent = {"fr": "Envoyé le", "nl": "Verstuurd op", "en": "Sent on"}[lang]
    assert all(MOMENT.fullmatch(row[sent]) for row in rows)
    facts = {"fr": "Date des faits", "nl": "Datum van de feiten", "en": "Date of the facts"}[lang]
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", row[facts]) for row in rows)


def test_the_separator_can_be_chosen(app: Flask) -> None:
    file_reports(app, 1)
    client = staff_client(app)
    rows = read(client.get("/fr/manage/reports/export.csv?sep=comma").data, ",")
    assert len(rows) == 1 and "Référence" in rows[0]
    rows = read(client.get("/en/manage/reports/export.csv?sep=semicolon").data, ";")
    assert len(rows) == 1 and "Reference" in rows[0]
    # Anything else: the language's own.
    assert read(client.get("/fr/manage/reports/export.csv?sep=tab").data, ";")[0]["Référence"]


def test_one_query_for_the_reports_and_the_access_logged(app: Flask) -> None:
    file_reports(app, 4)
    client = staff_client(app)
    client.get("/fr/manage/reports")
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        rows = read(client.get("/fr/manage/reports/export.csv").data, ";")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(rows) == 4
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT") and "FROM report" in s]
    assert len(reads) == 1, reads
    with app.app_context():
        entry = db.session.scalar(select(AccessLog).where(AccessLog.what == "export"))
        assert entry is not None and entry.report_id is None


def test_rows_are_read_in_batches(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """More reports than a batch: every one is written once, in order (newest first)."""
    monkeypatch.setattr(export, "BATCH", 2)
    file_reports(app, 5)
    rows = read(staff_client(app).get("/fr/manage/reports/export.csv").data, ";")
    assert [row["Description"].split(";")[0] for row in rows] == [
        f"Vitre brisée numéro {n}" for n in range(4, -1, -1)]


def test_chunks_write_the_mark_then_the_lines() -> None:
    from portal import csvfile

    pieces = list(csvfile.chunks([["a", "=1"], ["b", "c"], ["d", "e"]], ";", lines=2))
    assert pieces == ["\ufeff", "a;'=1\r\nb;c\r\n", "d;e\r\n"]
