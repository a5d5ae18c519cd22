"""What the report form tells a resident about the place: where the report will go, and the
choice step when the place names several municipalities. The routing itself is in `geo`."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from babel.lists import format_list

from portal import geo
from portal.i18n import _
from portal.reports.models import Report
from portal.territory import phrases


def municipality_phrase(municipality: geo.Municipality, lang: str) -> str:
    """The municipality as a sentence names it, article included, in `lang` ("la commune
    d'Ixelles", "de Stad Brussel"): the forms of `territory.phrases`."""
    return phrases.forms(municipality)["the"][lang]


def destination(municipality: geo.Municipality, lang: str) -> str:
    """"This report will go to the municipality of Ixelles — police zone …"."""
    return destinations(lang)["sentences"][municipality.nis]


@cache
def _destinations(lang: str) -> dict[str, dict[str, Any]]:
    sentences = {}
    for municipality in geo.municipalities():
        zone = geo.police_zone(municipality.police_zone)
        sentences[municipality.nis] = (municipality_phrase(municipality, lang), zone.name(lang))
    codes = {code: [m.nis for m in geo.data.municipalities_for_postal_code(code)]
             for code in sorted(geo.region_postal_codes())}
    return {"codes": codes, "sentences": sentences}


def destinations(lang: str) -> dict[str, dict[str, Any]]:
    """For place.js: each postal code's municipalities, and each municipality's sentence (the
    sentence is translated per request: the catalog is the request's)."""
    data = _destinations(lang)
    return {"codes": data["codes"], "sentences": {
        nis: _("This report will go to %(municipality)s — police zone %(zone)s.",
               municipality=phrase, zone=zone) for nis, (phrase, zone) in data["sentences"].items()}}


class Why(StrEnum):
    """Why the resident is asked: the words above the map depend on it."""

    SHARED_CODE = "shared"  #: a postal code of two municipalities (1040, 1050)
    DISAGREE = "disagree"  #: the position is in one municipality, the postal code in another
    POSITION_OUTSIDE = "position-outside"  #: the position is outside the Region
    CODE_OUTSIDE = "code-outside"  #: the postal code is not the Region's, the position is


@dataclass(frozen=True)
class ChoiceStep:
    why: Why
    #: Each municipality once, in the router's order (postal code's first)
    candidates: tuple[geo.Municipality, ...]
    drawing: geo.drawing.Drawing
    postal_code: str
    #: The resident may answer "I don't know" (two or more municipalities)
    can_defer: bool

    def names(self, lang: str) -> str:
        """The candidates' names, for the map's caption, listed as the language lists them
        ("Bruxelles et Ixelles", "Brussel en Elsene")."""
        return format_list([m.name(lang) for m in self.candidates], locale=lang)

    @staticmethod
    def label(shape: geo.drawing.Shape, lang: str) -> str:
        """The name written on one shape of the map (two or three for a shared canton)."""
        return " · ".join(geo.municipality(nis).name(lang) for nis in shape.municipalities)


def choice_step(routing: geo.Routing, postal_code: str,
                point: tuple[float, float] | None) -> ChoiceStep:
    """The choice step for a routing that is a CHOICE or a CONFLICT."""
    candidates = tuple(dict.fromkeys(routing.candidates))
    if routing.outcome is geo.Outcome.CHOICE:
        why = Why.SHARED_CODE
    elif not routing.by_point:
        why = Why.POSITION_OUTSIDE
    elif not routing.by_postal_code:
        why = Why.CODE_OUTSIDE
    else:
        why = Why.DISAGREE
    return ChoiceStep(why, candidates, geo.drawing.draw([m.nis for m in candidates], point),
                      postal_code, can_defer=len(candidates) > 1)


def candidates_of(report: Report) -> tuple[geo.Municipality, ...]:
    """The municipalities a report "to decide" may belong to, from its postal code and point."""
    point = None
    if report.latitude is not None and report.longitude is not None:
        point = (report.longitude, report.latitude)
    try:
        routing = geo.route(report.postal_code, point)
    except ValueError:
        return (geo.municipality(report.municipality_nis),)
    return tuple(dict.fromkeys(routing.candidates)) or (geo.municipality(report.municipality_nis),)


def candidates_text(report: Report, lang: str) -> str | None:
    """"Ixelles or City of Brussels" for a report whose municipality is to decide, else None."""
    if not report.municipality_to_decide:
        return None
    names = [m.name(lang) for m in candidates_of(report)]
    if len(names) == 1:
        return names[0]
    return _("%(some)s or %(last)s", some=", ".join(names[:-1]), last=names[-1])
