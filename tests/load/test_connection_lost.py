"""A connection the database drops at the end of a request must not turn its answer into a 500.

Found by ``benchmarks/faults.py`` (PostgreSQL stopped under load): a page had been rendered when
``pg_ctl stop -m fast`` ended its connection; Flask-SQLAlchemy's teardown then rolled back on the
dead connection, the error escaped every handler and gunicorn answered 500. The broken session
also stayed in the registry for a later request. ``portal.db.close_sessions_safely`` fixes both.
"""
from __future__ import annotations

from flask import Flask
from sqlalchemy import text

from portal.extensions import db


def _drop_connection() -> None:
    """End the session's connection the way a database restart does (SQLite: close it)."""
    if db.engine.dialect.name == "postgresql":
        import psycopg

        from portal.config import normalise_database_url

        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        url = normalise_database_url(db.engine.url.render_as_string(hide_password=False))
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                             autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])
    else:
        db.session.execute(text("SELECT 1"))
        db.session.connection().connection.dbapi_connection.close()  # type: ignore[union-attr]


def test_an_answer_made_before_the_connection_dropped_is_still_sent(app: Flask) -> None:
    @app.get("/_test/dropped")
    def dropped() -> str:
        _drop_connection()
        return "rendered"

    @app.get("/_test/query")
    def query() -> str:
        return str(db.session.execute(text("SELECT 41 + 1")).scalar_one())

    client = app.test_client()
    first = client.get("/_test/dropped")
    again = client.get("/_test/dropped")
    after = [client.get("/_test/query") for _ in range(3)]

    assert (first.status_code, first.get_data(as_text=True)) == (200, "rendered")
    assert (again.status_code, again.get_data(as_text=True)) == (200, "rendered")
    assert [(r.status_code, r.get_data(as_text=True)) for r in after] == [(200, "42")] * 3
    with app.app_context():
        assert db.engine.pool.checkedout() == 0  # nothing leaked from the dropped connections
