"""Error pages speak the visitor's language, in the portal's layout, with the right status."""
from __future__ import annotations

import pytest
from flask import Flask, abort
from flask.testing import FlaskClient

NOT_FOUND = {"fr": "Page introuvable", "nl": "Pagina niet gevonden", "en": "Page not found"}


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_404_in_the_language_of_the_path(web: FlaskClient, lang: str) -> None:
    response = web.get(f"/{lang}/no-such-page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert NOT_FOUND[lang] in html
    assert f'<html lang="{lang}">' in html
    assert 'href="tel:112"' in html  # the layout, with the emergency strip


def test_404_outside_a_language_follows_accept_language(web: FlaskClient) -> None:
    response = web.get("/nowhere", headers={"Accept-Language": "nl"})
    assert response.status_code == 404
    assert NOT_FOUND["nl"] in response.get_data(as_text=True)


@pytest.mark.parametrize(("status", "text"), [
    (403, "Accès refusé"), (413, "Le fichier est trop volumineux"),
    (429, "Trop de tentatives"), (503, "temporairement indisponible"),
])
def test_other_statuses(web_app: Flask, status: int, text: str) -> None:
    @web_app.get("/fr/boom-<int:code>")
    def boom(code: int) -> None:
        abort(code)

    response = web_app.test_client().get(f"/fr/boom-{status}")
    assert response.status_code == status
    assert text in response.get_data(as_text=True)


def test_unexpected_error_is_a_localized_500_without_trace(web_app: Flask) -> None:
    web_app.config["PROPAGATE_EXCEPTIONS"] = False

    @web_app.get("/nl/crash")
    def crash() -> None:
        raise RuntimeError("secret detail")

    response = web_app.test_client().get("/nl/crash")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Er ging iets mis aan onze kant" in html
    assert "secret detail" not in html and "Traceback" not in html


def test_database_down_is_a_503(tmp_path, geo_cache) -> None:
    from portal import create_app
    from portal.extensions import db
    from tests.conftest import base_settings

    app = create_app(base_settings(tmp_path, geo_cache,
                                   DATABASE_URL="postgresql://nobody@127.0.0.1:1/none"))
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/en/needs-db")
    def needs_db() -> str:
        db.session.execute(db.text("SELECT 1"))
        return "unreachable"

    response = app.test_client().get("/en/needs-db")
    assert response.status_code == 503
    assert "temporarily unavailable" in response.get_data(as_text=True)


# Clear 4xx answers, not 500s (issue 12) ------------------------------------------------------

@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_a_method_override_in_the_query_is_no_error(web: FlaskClient, method: str) -> None:
    """``url_for`` takes ``_method`` for itself: every page, and the error page, failed to build
    its language links when the query carried one."""
    page = web.get(f"/en/privacy?_method={method}&x=1")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # The other languages' links keep the query as it came.
    assert f'href="/fr/privacy?_method={method}&amp;x=1" hreflang="fr"' in html
    missing = web.get(f"/en/no-such-page?_method={method}")
    assert missing.status_code == 404 and NOT_FOUND["en"] in missing.get_data(as_text=True)


def test_url_for_names_in_the_query_stay_in_the_query(web: FlaskClient) -> None:
    html = web.get("/nl/privacy?_external=1&_scheme=javascript&endpoint=x&_anchor=a").get_data(as_text=True)
    assert 'href="/fr/privacy?_external=1&amp;_scheme=javascript&amp;endpoint=x&amp;_anchor=a"' in html
    assert "javascript://" not in html


def _failing_statement_page(app: Flask, statement: str) -> FlaskClient:
    from portal.extensions import db

    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/en/_test/statement")
    def statement_page() -> str:
        db.session.execute(db.text(statement))
        return "unreachable"

    return app.test_client()


def test_a_statement_the_database_refuses_is_a_500_not_an_outage(app: Flask) -> None:
    """Only a database that cannot be reached is "temporarily unavailable": a refused statement
    is a bug, answered 500 and logged with its trace (it was a 503 on both databases)."""
    response = _failing_statement_page(app, "SELECT * FROM no_such_table").get("/en/_test/statement")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)


# SQLite has no statement timeout (its busy database is tested below).
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_statement_timeout_is_an_outage(app: Flask) -> None:
    """PostgreSQL cancelling a statement (too busy), like SQLite's lock held past the busy
    timeout, tells the person to come back: 503."""
    from portal.extensions import db

    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/en/_test/slow")
    def slow() -> str:
        db.session.execute(db.text("SET LOCAL statement_timeout = 1"))
        db.session.execute(db.text("SELECT pg_sleep(1)"))
        return "unreachable"

    response = app.test_client().get("/en/_test/slow")
    assert response.status_code == 503
    assert "temporarily unavailable" in response.get_data(as_text=True)


def test_outages_and_refusals_are_told_apart(tmp_path) -> None:
    """Real errors of both drivers, classified by ``errors.is_outage``."""
    import sqlite3

    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import DBAPIError, OperationalError

    from portal.errors import is_outage

    path = tmp_path / "busy.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN IMMEDIATE")
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    try:
        with pytest.raises(OperationalError) as locked, engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (1)"))
        with pytest.raises(OperationalError) as no_table, engine.connect() as connection:
            connection.execute(text("SELECT * FROM no_such_table"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        engine.dispose()
    assert is_outage(locked.value) and not is_outage(no_table.value)

    refused = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(DBAPIError) as unreachable, refused.connect():
        pass
    assert is_outage(unreachable.value)


# PostgreSQL's SQLSTATEs (SQLite's codes are tested above).
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_postgresql_errors_are_told_apart(app: Flask) -> None:
    from sqlalchemy.exc import DBAPIError

    from portal.errors import is_outage
    from portal.extensions import db

    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    statements = {"SELECT 1 / 0": False, "SELECT DATE '0001-01-01' - INTERVAL '1 year' * 10000": False,
                  "SELECT * FROM no_such_table": False, "SELECT pg_terminate_backend(pg_backend_pid())": True}
    with app.app_context():
        for statement, outage in statements.items():
            with pytest.raises(DBAPIError) as error:
                db.session.execute(db.text(statement))
            db.session.rollback()
            assert is_outage(error.value) is outage, statement
