"""How a sentence names a municipality, in each language: the reference data that
``services.sync_reference`` stores in the municipality rows.

A name glued into a template reads wrongly ("la commune de Ixelles", "la commune de Bruxelles",
"the municipality of City of Brussels"), so every sentence takes a whole form instead:

- ``the``: the municipality as the subject or object of a sentence, with its article
  ("la commune d'Ixelles", "de gemeente Elsene", "the municipality of Ixelles"; the City of
  Brussels is "la Ville de Bruxelles", "de Stad Brussel", "the City of Brussels");
- ``at``: where something happens ("à Ixelles", "in Elsene", "in Ixelles").

Pure Python, like ``portal.geo``: the forms follow from the official names by the rules below,
with the City of Brussels written out.
"""
from __future__ import annotations

from portal import geo
from portal.geo.data import CITY_OF_BRUSSELS

#: French elides "de" before a vowel sound: "d'Ixelles", "d'Uccle", but "de Woluwe-…".
_VOWELS = tuple("AEIOUYÉÈÊ")

_CITY = {
    "name": {"en": "City of Brussels"},
    "the": {"fr": "la Ville de Bruxelles", "nl": "de Stad Brussel", "en": "the City of Brussels"},
    "at": {"fr": "à Bruxelles-Ville", "nl": "in Brussel-Stad", "en": "in the City of Brussels"},
}


def _of(name: str) -> str:
    return f"d'{name}" if name.startswith(_VOWELS) else f"de {name}"


def forms(place: geo.Municipality) -> dict[str, dict[str, str]]:
    """``{"name": {"en": …}, "the": {lang: …}, "at": {lang: …}}`` for one municipality."""
    if place.nis == CITY_OF_BRUSSELS:
        return _CITY
    return {
        # English-language media in Brussels use the French name (DESIGN.md), never the pair.
        "name": {"en": place.name_fr},
        "the": {"fr": f"la commune {_of(place.name_fr)}", "nl": f"de gemeente {place.name_nl}",
                "en": f"the municipality of {place.name_fr}"},
        "at": {"fr": f"à {place.name_fr}", "nl": f"in {place.name_nl}", "en": f"in {place.name_fr}"},
    }
