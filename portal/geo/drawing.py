"""Small server-side maps: a few municipal outlines and a pin, as SVG path data (pure).

The report form's choice step shows them without JavaScript. Only the outlines asked for are
drawn (a few KB), projected as the router's index is: a plane tangent at the Region's middle.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import shapely
from shapely.geometry.base import BaseGeometry

from .outlines import outline_of, outlines

#: Width of the drawing in SVG units; the height follows the places' proportions
WIDTH = 320.0
_COS = math.cos(math.radians(50.84))


@dataclass(frozen=True, slots=True)
class Shape:
    municipalities: tuple[str, ...]
    path: str
    #: Where to write the name (SVG units)
    label: tuple[float, float]


@dataclass(frozen=True, slots=True)
class Drawing:
    width: float
    height: float
    shapes: tuple[Shape, ...]
    #: The resident's position in SVG units, when there is one
    pin: tuple[float, float] | None
    #: The whole Region's outline, drawn faintly behind (a position outside reads as outside)
    region: str = ""


@cache
def _region() -> BaseGeometry:
    return shapely.union_all([outline.geometry for outline in outlines()])


def _plane(lon: float, lat: float) -> tuple[float, float]:
    return lon * _COS, -lat


def _rings(geometry: BaseGeometry) -> list[Sequence[tuple[float, float]]]:
    polygons = getattr(geometry, "geoms", [geometry])
    return [ring.coords for polygon in polygons
            for ring in (polygon.exterior, *polygon.interiors)]


def draw(nis_codes: Sequence[str], point: tuple[float, float] | None = None,
         margin: float = 0.06) -> Drawing:
    """The outlines holding `nis_codes` (each once) and the point (longitude, latitude)."""
    found = []
    for nis in nis_codes:
        outline = outline_of(nis)
        if outline not in found:
            found.append(outline)
    xs, ys = [], []
    for outline in found:
        west, south, east, north = outline.geometry.bounds
        for lon, lat in ((west, south), (east, north)):
            x, y = _plane(lon, lat)
            xs.append(x)
            ys.append(y)
    if point is not None:
        x, y = _plane(*point)
        xs.append(x)
        ys.append(y)
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    span = max(x1 - x0, y1 - y0, 1e-6)
    x0, y0 = x0 - span * margin, y0 - span * margin
    scale = WIDTH / ((x1 - x0) + span * margin)
    height = ((y1 - y0) + span * margin) * scale

    def project(lon: float, lat: float) -> tuple[float, float]:
        x, y = _plane(lon, lat)
        return round((x - x0) * scale, 1), round((y - y0) * scale, 1)

    def path(geometry: BaseGeometry) -> str:
        # Whole pixels (the map is about 360 px wide) and no point twice in a row: the choice
        # step stays within the page budget (60 KB with its CSS and scripts).
        parts = []
        for ring in _rings(geometry):
            points: list[tuple[int, int]] = []
            for lon, lat in ring:
                x, y = project(lon, lat)
                here = (round(x), round(y))
                if not points or points[-1] != here:
                    points.append(here)
            parts.append("M" + "L".join(f"{x} {y}" for x, y in points) + "Z")
        return "".join(parts)

    shapes = tuple(Shape(outline.municipalities, path(outline.geometry),
                         project(*outline.reference_point)) for outline in found)
    return Drawing(WIDTH, round(height, 1), shapes,
                   project(*point) if point is not None else None, path(_region()))
