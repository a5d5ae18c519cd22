"""The router: which municipality a report belongs to, from a postal code, a point, or both."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from .data import (
    Municipality,
    PoliceZone,
    municipalities_for_postal_code,
    municipality,
    normalise_postal_code,
    police_zone,
)
from .index import load_index

# How far a point may lie from the municipality its postal code names and still count as agreeing
# with it. A phone's position is often tens of metres off, up to ~100 m between tall buildings, so
# near a border (the Region's, or between two municipalities) the postal code the resident typed
# is the better witness. 120 m covers that error yet is far less than any municipality's width, so
# a point clearly elsewhere still raises a conflict. The tolerance only ever settles in favour of a
# Brussels postal code; a point alone, or with a postal code from outside the Region, is taken as
# it is (a point 40 m outside the Region with no postal code is OUTSIDE).
BORDER_TOLERANCE_M = 120.0


class Outcome(StrEnum):
    """What the router could decide: the caller's next step depends on it."""

    ONE = "one"  #: exactly one municipality: file the report there
    CHOICE = "choice"  #: one of `candidates`: ask the resident
    OUTSIDE = "outside"  #: not the Region's: tell the resident whom to contact
    CONFLICT = "conflict"  #: postal code and point disagree: ask the resident which is right


@dataclass(frozen=True, slots=True)
class Routing:
    """The router's answer, with what each input said on its own for explaining a conflict."""

    outcome: Outcome
    #: Set only for `Outcome.ONE`
    municipality: Municipality | None = None
    #: ONE: that one. CHOICE: the possible ones. CONFLICT: those of the postal code, then those
    #: of the point (either side empty when it lies outside the Region). OUTSIDE: none.
    candidates: tuple[Municipality, ...] = ()
    #: Municipalities the postal code names (empty without one, or outside the Region)
    by_postal_code: tuple[Municipality, ...] = ()
    #: Municipalities the point lies in, without tolerance (empty without one, or outside)
    by_point: tuple[Municipality, ...] = ()

    @property
    def police_zone(self) -> PoliceZone | None:
        """The police zone of the chosen municipality, for the copy sent to the police."""
        return police_zone(self.municipality.police_zone) if self.municipality else None


def route(
    postal_code: str | None = None, point: tuple[float, float] | None = None
) -> Routing:
    """Decide where a report goes from its postal code and/or point (longitude, latitude, WGS 84).

    Raises ValueError without either, for a postal code that is not four digits once spaces are
    removed, or for a point that is not two finite coordinates.
    """
    if postal_code is None and point is None:
        raise ValueError("route() needs a postal code, a point, or both")
    by_code = (
        municipalities_for_postal_code(normalise_postal_code(postal_code))
        if postal_code is not None
        else ()
    )
    if point is None:
        return _settle(by_code, by_code, ())

    lon, lat = _coordinates(point)
    # Only here, with a point, is the boundary index needed (and loaded on first use)
    index = load_index()
    by_point = tuple(municipality(nis) for nis in index.municipalities_at(lon, lat))
    if postal_code is None:
        return _settle(by_point, (), by_point)

    # DESIGN.md: every canton lies inside one municipality or covers whole ones, and the shared
    # codes (1040, 1050) never meet a multi-municipality canton, so this is one municipality
    # except for a point exactly on a border line.
    common = tuple(m for m in by_code if m in by_point)
    if not common and by_code:
        near = index.municipalities_near(lon, lat, BORDER_TOLERANCE_M)
        common = tuple(m for m in by_code if m.nis in near)
    if common or not (by_code or by_point):
        return _settle(common, by_code, by_point)
    # The two disagree, or one is outside the Region: a person must say which is right. A non-
    # Brussels code with a point in the Region is a conflict too: refusing a report whose point
    # is in the Region on the strength of a possibly mistyped code could lose it.
    return Routing(
        Outcome.CONFLICT, None, by_code + by_point, by_postal_code=by_code, by_point=by_point
    )


def _settle(
    found: tuple[Municipality, ...],
    by_code: tuple[Municipality, ...],
    by_point: tuple[Municipality, ...],
) -> Routing:
    if not found:
        return Routing(Outcome.OUTSIDE, by_postal_code=by_code, by_point=by_point)
    if len(found) == 1:
        return Routing(Outcome.ONE, found[0], found, by_code, by_point)
    return Routing(Outcome.CHOICE, None, found, by_code, by_point)


def _coordinates(point: Sequence[float]) -> tuple[float, float]:
    try:
        lon, lat = (float(value) for value in point)
    except (TypeError, ValueError):
        raise ValueError(f"Expected a point as (longitude, latitude), got {point!r}") from None
    if not (math.isfinite(lon) and math.isfinite(lat) and abs(lon) <= 180 and abs(lat) <= 90):
        raise ValueError(f"Expected a point as (longitude, latitude), got {point!r}")
    return lon, lat
