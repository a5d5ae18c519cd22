"""How requests use the database: pages that only read never queue behind a writer, and a view
that writes while answering GET must say so (SQLite would otherwise refuse it now and then)."""
from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from portal.db import WriteInReadOnlyTransaction, writes_on_get
from portal.extensions import db

TOUCH = "UPDATE category SET position = position WHERE code = 'vandalism'"


@contextmanager
def another_writer(app: Flask) -> Iterator[None]:
    """Another process's transaction holding the write lock (SQLite) or the tables (PostgreSQL)."""
    with app.app_context():
        url = db.engine.url
        if url.get_backend_name() == "sqlite":
            other = sqlite3.connect(url.database, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")
            other.execute(TOUCH)
            try:
                yield
            finally:
                other.execute("ROLLBACK")
                other.close()
            return
        with db.engine.connect() as other:
            other.execute(text("LOCK TABLE category, course_session IN EXCLUSIVE MODE"))
            try:
                yield
            finally:
                other.rollback()


def test_pages_that_read_do_not_wait_for_a_writer(app: Flask, client: FlaskClient) -> None:
    with another_writer(app):
        started = time.monotonic()
        for path in ("/fr/courses/", "/fr/report/categories", "/nl/report/new/vandalism"):
            assert client.get(path).status_code == 200, path
        # A page that waited for the lock would take the 15 s busy timeout and then fail; below
        # that, the time says nothing (a busy machine renders three cold pages slowly).
        assert time.monotonic() - started < 14


def test_a_get_view_that_writes_must_be_marked(app: Flask, client: FlaskClient,
                                               caplog: pytest.LogCaptureFixture) -> None:
    def unmarked() -> str:
        db.session.execute(text(TOUCH))
        db.session.commit()
        return "written"

    @writes_on_get
    def marked() -> str:
        return unmarked()

    app.add_url_rule("/test/unmarked", "unmarked", unmarked)
    app.add_url_rule("/test/marked", "marked", marked)
    assert client.get("/test/marked").get_data(as_text=True) == "written"
    with app.app_context():
        sqlite_db = db.engine.url.get_backend_name() == "sqlite"
    if sqlite_db:
        with caplog.at_level(logging.ERROR, logger="portal.errors"):
            assert client.get("/test/unmarked").status_code == 500
        [record] = [r for r in caplog.records if r.exc_info]
        assert isinstance(record.exc_info[1], WriteInReadOnlyTransaction)
    else:  # PostgreSQL upgrades a reading transaction safely: the mark is only needed for SQLite
        assert client.get("/test/unmarked").get_data(as_text=True) == "written"
