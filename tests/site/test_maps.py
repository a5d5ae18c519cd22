"""The maps' files come from the portal itself; `portal geo-index` writes the outlines."""
from __future__ import annotations

import json

from flask import Flask
from flask.testing import FlaskClient


def test_geo_index_writes_the_outlines_that_are_served(web_app: Flask, web: FlaskClient) -> None:
    from portal.site.maps import outlines_file

    with web_app.app_context():
        path = outlines_file()
    path.unlink(missing_ok=True)
    result = web_app.test_cli_runner().invoke(args=["portal", "geo-index", "--force"])
    assert result.exit_code == 0, result.output
    assert path.is_file() and "KiB" in result.output
    response = web.get("/maps/outlines.geojson")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    assert response.data == path.read_bytes()
    assert len(json.loads(response.data)["features"]) == 14


def test_outlines_are_made_on_demand_when_missing(web_app: Flask, web: FlaskClient) -> None:
    from portal.site.maps import outlines_file

    with web_app.app_context():
        path = outlines_file()
    path.unlink(missing_ok=True)
    response = web.get("/maps/outlines.geojson")
    assert response.status_code == 200 and path.is_file()
    assert json.loads(response.data)["type"] == "FeatureCollection"


def test_leaflet_is_served_by_the_portal(web: FlaskClient) -> None:
    response = web.get("/maps/leaflet/leaflet.js")
    assert response.status_code == 200 and b"Leaflet" in response.data[:2000]


def test_no_other_host_in_the_csp_by_default_and_only_the_tile_host_when_set(
        web: FlaskClient, web_app: Flask) -> None:
    csp = web.get("/fr/").headers["Content-Security-Policy"]
    assert "img-src 'self' data:;" in csp
    web_app.config["MAP_TILE_URL"] = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    csp = web.get("/fr/").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://*.tiles.example.org;" in csp


def test_the_form_offers_the_picker_only_to_load_it_later(web: FlaskClient, web_app: Flask) -> None:
    from tests.conftest import seed_reference

    with web_app.app_context():
        from flask_migrate import upgrade

        upgrade()
        seed_reference()
        from portal.extensions import db

        db.session.commit()
    html = web.get("/en/report/new/vandalism").get_data(as_text=True)
    assert "data-picker hidden" in html and "js/place.js" in html
    # Leaflet and the outlines are only named, never loaded by the page itself
    assert "<script src=\"/maps/leaflet" not in html and 'data-leaflet-js="/maps/leaflet/leaflet.js"' in html
    assert 'data-outlines="/maps/outlines.geojson"' in html
