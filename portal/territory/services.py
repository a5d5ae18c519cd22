"""Keep the municipality and police-zone rows equal to the router's official data, and say a
municipality in a sentence."""
from __future__ import annotations

from portal import geo
from portal.config import LANGUAGES
from portal.extensions import db
from portal.territory import phrases
from portal.territory.models import Municipality, PoliceZone


def _columns(place: geo.Municipality) -> dict[str, str]:
    forms = phrases.forms(place)
    values = {"name_fr": place.name_fr, "name_nl": place.name_nl, "name_en": forms["name"]["en"],
              "police_zone_code": place.police_zone}
    for form in ("the", "at"):
        for lang in LANGUAGES:
            values[f"{form}_{lang}"] = forms[form][lang]
    return values


def sync_reference() -> int:
    """Insert or update the 6 zones and 19 municipalities; returns how many rows changed."""
    changed = 0
    for zone in geo.police_zones():
        row = db.session.get(PoliceZone, zone.code) or PoliceZone(code=zone.code)
        values = (zone.name_fr, zone.name_nl, zone.name("en"))
        if (row.name_fr, row.name_nl, row.name_en) != values:
            row.name_fr, row.name_nl, row.name_en = values
            db.session.add(row)
            changed += 1
    db.session.flush()
    for place in geo.municipalities():
        place_row = db.session.get(Municipality, place.nis) or Municipality(nis=place.nis)
        columns = _columns(place)
        if any(getattr(place_row, column) != value for column, value in columns.items()):
            for column, value in columns.items():
                setattr(place_row, column, value)
            db.session.add(place_row)
            changed += 1
    db.session.flush()
    return changed


def municipality(nis: str) -> Municipality:
    """The row of a municipality (from the session's identity map after the first read)."""
    row = db.session.get(Municipality, nis)
    if row is None:
        raise KeyError(nis)
    return row


def the_municipality(nis: str, lang: str | None = None) -> str:
    """The municipality as a sentence names it: "la commune d'Ixelles", "de Stad Brussel"."""
    return municipality(nis).the(lang)


def in_municipality(nis: str, lang: str | None = None) -> str:
    """Where: "à Ixelles", "in Elsene", "in the City of Brussels"."""
    return municipality(nis).at(lang)
