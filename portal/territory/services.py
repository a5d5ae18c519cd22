"""Keep the municipality and police-zone rows equal to the router's official data."""
from __future__ import annotations

from portal import geo
from portal.extensions import db
from portal.territory.models import Municipality, PoliceZone


def sync_reference() -> int:
    """Insert or update the 6 zones and 19 municipalities; returns how many rows changed."""
    changed = 0
    for zone in geo.police_zones():
        row = db.session.get(PoliceZone, zone.code) or PoliceZone(code=zone.code)
        if (row.name_fr, row.name_nl) != (zone.name_fr, zone.name_nl):
            row.name_fr, row.name_nl = zone.name_fr, zone.name_nl
            db.session.add(row)
            changed += 1
    db.session.flush()
    for place in geo.municipalities():
        place_row = db.session.get(Municipality, place.nis) or Municipality(nis=place.nis)
        values = (place.name_fr, place.name_nl, place.police_zone)
        if (place_row.name_fr, place_row.name_nl, place_row.police_zone_code) != values:
            place_row.name_fr, place_row.name_nl, place_row.police_zone_code = values
            db.session.add(place_row)
            changed += 1
    db.session.flush()
    return changed
