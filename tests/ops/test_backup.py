"""Backups taken while residents file reports: a restored copy holds every report whose filing
was acknowledged (HTTP 303) before the backup began, with its photos.

SQLite: ``flask --app portal portal backup PATH`` (the online backup API). PostgreSQL: what the
README's Operations section says, ``pg_dump --format=custom`` and a copy of the uploads folder,
restored with ``pg_restore``.
"""
from __future__ import annotations

import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.reports.models import Report
from tests.api.conftest import live_server as served  # noqa: F401 - the fixture
from tests.conftest import Database, base_settings, csrf_token, missing
from tests.reports.helpers import hidden, jpeg_with_gps, report_data

#: Generous: a loaded machine may take long over one request, never this long.
PATIENCE_S = 120.0


class Filer(threading.Thread):
    """A resident filing reports with a photo, one after the other, until told to stop."""

    def __init__(self, url: str) -> None:
        super().__init__(name="filer", daemon=True)
        self.url = url
        self.acknowledged: list[str] = []
        self.failures: list[str] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def run(self) -> None:
        import requests

        session, form = requests.Session(), f"{self.url}/fr/report/new/vandalism"
        photo = jpeg_with_gps()
        number = 0
        while not self.stop.is_set():
            number += 1
            try:
                html = session.get(form, timeout=60).text
                answer = session.post(form, timeout=60, allow_redirects=False, data={
                    "csrf_token": csrf_token(html), "submission_key": hidden(html, "submission_key"),
                    **report_data(description=f"Backup test report {number}")},
                    files={"photos": ("photo.jpg", photo, "image/jpeg")})
            except Exception as error:  # noqa: BLE001 - reported by the test, not lost
                self.failures.append(repr(error))
                return
            if answer.status_code != 303:
                self.failures.append(f"{answer.status_code}: {answer.text[:500]}")
                return
            with self.lock:
                self.acknowledged.append(answer.headers["Location"].rsplit("/", 1)[1])

    def count(self) -> int:
        with self.lock:
            return len(self.acknowledged)

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + PATIENCE_S
        while self.count() < count and not self.failures:
            assert time.monotonic() < deadline, f"only {self.count()} reports filed"
            time.sleep(0.05)
        assert self.failures == []


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _backup_sqlite(app: Flask, target: Path) -> Callable[[Path], str]:
    """``portal backup``; returns how to restore it into a folder (the restored database URL)."""
    result = app.test_cli_runner().invoke(args=["portal", "backup", str(target)])
    assert result.exit_code == 0, result.output
    assert f"photos copied to {target / 'uploads'}" in result.output

    def restore(instance: Path) -> str:
        instance.mkdir()
        shutil.copyfile(target / "portal.sqlite3", instance / "portal.sqlite3")
        shutil.copytree(target / "uploads", instance / "uploads")
        return f"sqlite:///{instance / 'portal.sqlite3'}"

    return restore


def _backup_postgresql(app: Flask, target: Path) -> Callable[[Path], str]:
    """The README's commands: pg_dump, then the uploads folder; pg_restore into a new database."""
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        missing("pg_dump", "pg_dump or pg_restore is not on PATH")
    source = _plain(app.config["DATABASE_URL"])
    target.mkdir()
    subprocess.run(["pg_dump", "--format=custom", "--file", str(target / "portal.dump"), source],
                   check=True, timeout=300)
    # as the README says (rsync --exclude ".*"): the photos, not half-written ".part" files
    shutil.copytree(app.config["UPLOAD_DIR"], target / "uploads", ignore=shutil.ignore_patterns(".*"))

    def restore(instance: Path) -> str:
        import psycopg

        restored = source.rsplit("/", 1)[0] + "/restored_" + uuid.uuid4().hex[:12]
        with psycopg.connect(source, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{restored.rsplit("/", 1)[1]}"')
        subprocess.run(["pg_restore", "--no-owner", "--dbname", restored,
                        str(target / "portal.dump")], check=True, timeout=300)
        instance.mkdir()
        shutil.copytree(target / "uploads", instance / "uploads")
        return restored

    return restore


def test_a_backup_taken_while_reports_are_filed_keeps_every_acknowledged_one(
        app: Flask, database: Database, served: str, tmp_path: Path, geo_cache: Path) -> None:
    from portal import create_app

    filer = Filer(served)
    filer.start()
    try:
        filer.wait_for(3)
        with filer.lock:
            acknowledged = list(filer.acknowledged)  # before the backup begins
        take = _backup_sqlite if database.backend == "sqlite" else _backup_postgresql
        restore = take(app, tmp_path / "backup")
        filer.wait_for(len(acknowledged) + 2)  # filing went on during and after the backup
    finally:
        filer.stop.set()
        filer.join(timeout=PATIENCE_S)
    assert filer.failures == []

    instance = tmp_path / "restored"
    url = restore(instance)
    restored = create_app(base_settings(instance, geo_cache, DATABASE_URL=url))
    try:
        with restored.app_context():
            reports = {report.reference: report for report in db.session.scalars(
                select(Report).options(selectinload(Report.photos)))}
            missing_reports = [ref for ref in acknowledged if ref not in reports]
            photos = [photo.filename for ref in acknowledged if ref in reports
                      for photo in reports[ref].photos]
    finally:
        with restored.app_context():
            db.session.remove()
            db.engine.dispose()
        if database.backend == "postgresql":
            import psycopg

            with psycopg.connect(_plain(app.config["DATABASE_URL"]), autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')

    assert missing_reports == []
    assert len(photos) == len(acknowledged)  # one photo each
    assert [name for name in photos if not (instance / "uploads" / name).is_file()] == []


def test_the_command_refuses_a_folder_in_use_and_postgresql(app: Flask, tmp_path: Path) -> None:
    used = tmp_path / "used"
    used.mkdir()
    (used / "something").write_text("keep me")
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["portal", "backup", str(used)])
    assert refused.exit_code == 1
    if app.config["DATABASE_URL"].startswith("sqlite"):
        assert f"{used} exists and is not an empty folder." in refused.output
    else:
        assert "For PostgreSQL, use pg_dump" in refused.output
    assert [p.name for p in used.iterdir()] == ["something"]
