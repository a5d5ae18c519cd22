"""Configuration, the database set-up, and the migrations."""
from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest
from flask import Flask

from portal.config import load, normalise_database_url


def test_secret_key_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    first = load(tmp_path, environ={})["SECRET_KEY"]
    second = load(tmp_path, environ={})["SECRET_KEY"]
    assert first == second and len(first) >= 40
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_environment_overrides_defaults(tmp_path: Path) -> None:
    config = load(tmp_path, environ={"PORTAL_SECRET_KEY": "from-env", "PORTAL_MAIL_PORT": "2525",
                                     "PORTAL_DATABASE_URL": "postgres://u@h/db",
                                     "PORTAL_RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"})
    assert config["SECRET_KEY"] == "from-env"
    assert config["MAIL_PORT"] == 2525
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert not (tmp_path / "secret_key").exists()


def test_default_database_is_sqlite_in_instance(tmp_path: Path) -> None:
    assert load(tmp_path, environ={})["DATABASE_URL"] == f"sqlite:///{tmp_path / 'portal.sqlite3'}"


def test_settings_mapping_wins(tmp_path: Path) -> None:
    assert load(tmp_path, {"MAIL_PORT": 1}, environ={"PORTAL_MAIL_PORT": "2"})["MAIL_PORT"] == 1


def test_normalise_database_url() -> None:
    assert normalise_database_url("postgresql://a/b") == "postgresql+psycopg://a/b"
    assert normalise_database_url("sqlite:///x") == "sqlite:///x"


def test_models_and_migrations_agree(app: Flask) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from portal.extensions import db

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_reference_data_loaded(app: Flask) -> None:
    from portal.extensions import db
    from portal.reports.models import Category
    from portal.territory.models import Municipality, PoliceZone

    with app.app_context():
        assert db.session.query(Municipality).count() == 19
        assert db.session.query(PoliceZone).count() == 6
        assert db.session.query(Category).count() == 7
        ixelles = db.session.get(Municipality, "21009")
        assert (ixelles.name_fr, ixelles.name_nl, ixelles.police_zone_code) == (
            "Ixelles", "Elsene", "5339")


def test_seed_is_idempotent(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["portal", "seed"])
    second = runner.invoke(args=["portal", "seed"])
    assert first.exit_code == 0 and second.exit_code == 0
    assert "0 municipality/zone rows changed, 0 categories added" in second.output


def test_sqlite_settings(tmp_path: Path, geo_cache: Path) -> None:
    from portal import create_app
    from portal.extensions import db
    from tests.conftest import base_settings

    app = create_app(base_settings(tmp_path, geo_cache))
    with app.app_context():
        assert db.session.execute(db.text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(db.text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(db.text("PRAGMA busy_timeout")).scalar() == 15000


def test_sqlite_writers_wait_instead_of_failing(tmp_path: Path, geo_cache: Path) -> None:
    """Read-then-write transactions from many threads all succeed, none is lost."""
    from portal import create_app
    from portal.extensions import db
    from tests.conftest import base_settings

    app = create_app(base_settings(tmp_path, geo_cache))
    with app.app_context():
        db.session.execute(db.text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        db.session.execute(db.text("INSERT INTO counter VALUES (0)"))
        db.session.commit()
    errors: list[BaseException] = []

    def bump() -> None:
        try:
            with app.app_context():
                for _ in range(10):
                    n = db.session.execute(db.text("SELECT n FROM counter")).scalar()
                    db.session.execute(db.text("UPDATE counter SET n = :n"), {"n": n + 1})
                    db.session.commit()
        except BaseException as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        assert db.session.execute(db.text("SELECT n FROM counter")).scalar() == 80


def test_migrations_form_one_chain() -> None:
    """`flask db upgrade` (no "heads") must work: one head, no branches."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from portal import MIGRATIONS_DIR

    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_sqlite_upgrade_keeps_a_reports_photos_and_timeline(tmp_path: Path, geo_cache: Path) -> None:
    """Batch migrations rebuild `report` on SQLite; its children must survive (no cascade)."""
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db
    from tests.conftest import base_settings

    app = create_app(base_settings(tmp_path, geo_cache))
    with app.app_context():
        upgrade(revision="e4192afd8621")  # reports exist, staff accounts not yet
        for statement in (
            "INSERT INTO police_zone VALUES ('5339', 'a', 'b')",
            "INSERT INTO municipality VALUES ('21009', 'Ixelles', 'Elsene', '5339')",
            "INSERT INTO category (code, questions, position, active, acknowledge_days, close_days, name_fr,"
            " name_nl, name_en, description_fr, description_nl, description_en)"
            " VALUES ('vandalism', '', 0, 1, 2, 30, 'a', 'b', 'c', 'd', 'e', 'f')",
            "INSERT INTO report (reference, tracking_hash, category_code, municipality_nis, status, description,"
            " occurred_on, street, postal_code, details, language, source, created_at, updated_at, version)"
            " VALUES ('BX-2222-2222', 'h', 'vandalism', '21009', 'new', 'd', '2026-11-01', 's', '1050', '{}',"
            " 'fr', 'web', '2026-11-01 10:00:00', '2026-11-01 10:00:00', 1)",
            "INSERT INTO report_event (report_id, created_at, kind, actor, public, text, data)"
            " VALUES (1, '2026-11-01 10:00:00', 'created', 'reporter', 1, '', '{}')",
            "INSERT INTO report_photo (report_id, filename, width, height, created_at)"
            " VALUES (1, 'a.jpg', 1, 1, '2026-11-01 10:00:00')",
        ):
            db.session.execute(db.text(statement))
        db.session.commit()
        db.session.remove()
        upgrade()
        counts = [db.session.execute(db.text(f"SELECT count(*) FROM {table}")).scalar()
                  for table in ("report", "report_event", "report_photo")]
        assert counts == [1, 1, 1]
        assert db.session.execute(db.text("PRAGMA foreign_keys")).scalar() == 1
        db.session.remove()
        db.engine.dispose()


@pytest.mark.xdist_group("probe")
def test_xdist_groups_keep_their_tests_together(request: pytest.FixtureRequest) -> None:
    """``make test`` runs ``--dist loadgroup``: the tests of an ``xdist_group`` (the browser
    tests, each group with its one server and Chromium; the gunicorn load and deploy tests, which
    must not run at once) go to one worker. pytest-xdist does it by appending "@group" to the node
    id; under pytest 9 that renaming was silently lost and each group spread over both workers."""
    if getattr(request.config.option, "loadgroup", False):
        assert request.node.nodeid.endswith("@probe")
