"""Brussels municipalities, police zones and postal codes, and the router that sends a report to
one of the 19 municipalities from a postal code and/or a point. Pure Python: no Flask, no database.
"""

from __future__ import annotations

from . import drawing, outlines
from .data import (
    REGION_ID,
    Municipality,
    PoliceZone,
    municipalities,
    municipality,
    police_zone,
    police_zones,
    region_postal_codes,
)
from .index import (
    CantonIndex,
    build_index,
    configure_cache,
    index_path,
    load_index,
    read_index,
)
from .router import BORDER_TOLERANCE_M, Outcome, Routing, route

__all__ = [
    "BORDER_TOLERANCE_M",
    "REGION_ID",
    "CantonIndex",
    "Municipality",
    "Outcome",
    "PoliceZone",
    "Routing",
    "build_index",
    "configure_cache",
    "drawing",
    "index_path",
    "load_index",
    "municipalities",
    "municipality",
    "outlines",
    "police_zone",
    "police_zones",
    "read_index",
    "region_postal_codes",
    "route",
]
