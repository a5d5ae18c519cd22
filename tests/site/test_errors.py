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
