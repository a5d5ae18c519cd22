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
