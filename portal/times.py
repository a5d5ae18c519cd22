"""The Region's clock: every date a person reads or types is Brussels time."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from portal.config import TIMEZONE

BRUSSELS = ZoneInfo(TIMEZONE)
