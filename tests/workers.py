"""A second portal process on the test's database, for what must hold across gunicorn workers."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask

from tests.conftest import base_settings


@contextmanager
def another_worker(app: Flask, tmp_path: Path, geo_cache: Path) -> Iterator[Flask]:
    """An app on ``app``'s database with caches of its own (the page cache, the reports'
    reference data), as another worker or host has."""
    from portal import create_app
    from portal.extensions import db

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    other = create_app(base_settings(tmp_path / "other", geo_cache, DATABASE_URL=url))
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()
