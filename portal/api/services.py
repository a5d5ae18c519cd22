"""What the Open311 API does, in the portal's own terms: keys, services, finding and filing reports.

Nothing here knows an Open311 field name (those live in ``serializers``): the API's parsers turn
a request into the dataclasses below (a POST into the portal's own ``Draft``), and its serializers
turn reports back into Open311.
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from portal import geo
from portal.db import utcnow
from portal.extensions import db
from portal.i18n import _, localized
from portal.reports.models import Category, Report, Status
from portal.reports.reference_data import CategoryInfo
from portal.reports.services import active_categories, get_active_category
from portal.tokens import hash_secret

from .models import ApiKey, Scope

# Keys -----------------------------------------------------------------------------------------

#: Every key starts with this, so that a leaked key is recognisable (secret scanners, logs).
KEY_PREFIX = "bxp_"
#: How many characters of a key ``apikey list`` shows.
SHOWN_PREFIX = 12
#: ``last_used_at`` is written at most this often per key.
TOUCH_INTERVAL = timedelta(minutes=1)


class KeyProblem(ValueError):
    """An operator's request about keys cannot be done; the message says why."""


def create_key(name: str, scopes: Iterable[str], municipalities: Iterable[str]) -> tuple[ApiKey, str]:
    """Make a key; returns the row and the key itself, which is never stored and shown once."""
    name = name.strip()
    scopes = sorted(set(scopes))
    nis_codes = sorted(set(municipalities))
    if not name or len(name) > 80:
        raise KeyProblem("Give the key a name of 1 to 80 characters.")
    if not scopes or any(scope not in Scope.ALL for scope in scopes):
        raise KeyProblem(f"Give at least one scope among: {', '.join(Scope.ALL)}.")
    known = {m.nis for m in geo.municipalities()}
    unknown = [nis for nis in nis_codes if nis not in known]
    if unknown:
        raise KeyProblem(f"Not a municipality of the Region: {', '.join(unknown)} "
                         "(use NIS codes 21001 to 21019).")
    if Scope.READ in scopes and not nis_codes:
        raise KeyProblem("A key with the read scope needs the municipalities it may read "
                         "(--municipality NIS, repeated).")
    if db.session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
        raise KeyProblem(f"A key named {name!r} exists already: choose another name.")
    raw = KEY_PREFIX + secrets.token_urlsafe(32)  # 256 random bits
    key = ApiKey(name=name, key_hash=hash_secret(raw), prefix=raw[:SHOWN_PREFIX], scopes=scopes,
                 municipalities=nis_codes)
    db.session.add(key)
    db.session.flush()
    return key, raw


def revoke_key(name: str) -> tuple[ApiKey, bool]:
    """Refuse a key from now on; returns the key and whether it was active until now."""
    key = db.session.scalar(select(ApiKey).where(ApiKey.name == name.strip()))
    if key is None:
        raise KeyProblem(f"No key is named {name!r}.")
    if key.revoked_at is not None:
        return key, False
    key.revoked_at = utcnow()
    db.session.flush()
    return key, True


def list_keys() -> list[ApiKey]:
    return list(db.session.scalars(select(ApiKey).order_by(ApiKey.name)))


def authenticate(raw: str | None) -> ApiKey | None:
    """The active key ``raw`` names, or None (unknown or revoked); notes when it was used."""
    if not raw or len(raw) > 200:
        return None
    key = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_secret(raw)))
    if key is None or not key.active:
        return None
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at >= TOUCH_INTERVAL:
        key.last_used_at = now
    return key


def readable_municipalities(key: ApiKey | None) -> frozenset[str]:
    """The municipalities whose requests ``key`` sees in full (none without the read scope)."""
    if key is None or not key.allows(Scope.READ):
        return frozenset()
    return frozenset(key.municipalities or ())


# Services (the categories) --------------------------------------------------------------------

def services() -> list[Category]:
    return active_categories()


def service(code: str) -> CategoryInfo | None:
    return get_active_category(code) if code else None


#: Word stems in a category's code that make it a theft; everything else is a nuisance.
_THEFT_WORDS = ("theft", "pickpocketing", "burglary")


def service_group(category: Category) -> str:
    """The group a partner app can use to sort the services: thefts, or other nuisances."""
    if any(word in category.code for word in _THEFT_WORDS):
        return _("Theft")
    return _("Nuisance")


def service_keywords(category: Category) -> list[str]:
    """Search words: the words of the code and of the name in the current language."""
    words = category.code.split("-") + re.findall(r"[^\W\d_]{4,}", localized(category, "name").lower())
    return list(dict.fromkeys(words))


# Reading requests -----------------------------------------------------------------------------

#: The Open311 statuses and the portal's statuses each stands for.
STATUS_GROUPS: dict[str, tuple[str, ...]] = {"open": Status.OPEN, "closed": Status.FINAL}
#: The spec's default window and largest page.
DEFAULT_WINDOW = timedelta(days=90)
MAX_PAGE_SIZE = 1000
#: A public position is rounded to this grid (degrees): about 220 m north-south and 210 m
#: east-west at Brussels' latitude. Enough for a map of a neighbourhood, not for a doorstep.
GRID_LAT = 0.002
GRID_LON = 0.003


@dataclass
class RequestFilter:
    """Which reports a partner asks for; ``references`` overrides everything else but paging."""

    references: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    start: datetime | None = None
    end: datetime | None = None
    #: Portal statuses (already expanded from open/closed); empty for all.
    statuses: list[str] = field(default_factory=list)
    page: int = 1
    page_size: int = MAX_PAGE_SIZE


def open311_status(report: Report) -> str:
    return "open" if report.status in Status.OPEN else "closed"


def window(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """The period asked for, filled in the spec's way: the 90 days before the end, or after the
    start; without either, the last 90 days. ValueError when it is longer or inverted."""
    if start is None and end is None:
        end = utcnow()
    if start is None:
        assert end is not None
        start = end - DEFAULT_WINDOW
    if end is None:
        end = start + DEFAULT_WINDOW
    if start > end:
        raise ValueError("inverted")
    if end - start > DEFAULT_WINDOW:
        raise ValueError("too_long")
    return start, end


def find_reports(query: RequestFilter) -> list[Report]:
    """The reports a GET requests asks for, newest first, one page; never spam."""
    statement = select(Report).where(Report.spam.is_(False))
    if query.references:
        statement = statement.where(Report.reference.in_(query.references))
    else:
        start, end = window(query.start, query.end)
        statement = statement.where(Report.created_at >= start, Report.created_at <= end)
        if query.codes:
            statement = statement.where(Report.category_code.in_(query.codes))
        if query.statuses:
            statement = statement.where(Report.status.in_(query.statuses))
    statement = (statement.order_by(Report.created_at.desc(), Report.id.desc())
                 .limit(query.page_size).offset((query.page - 1) * query.page_size))
    return list(db.session.scalars(statement).unique())


def find_report(reference: str) -> Report | None:
    """One report by its reference; one marked as spam is unknown here, as in the lists."""
    return db.session.scalar(select(Report).where(Report.reference == reference,
                                                  Report.spam.is_(False)))


def coarse_position(latitude: float, longitude: float) -> tuple[float, float]:
    """A position snapped to the public grid: who reads it learns the neighbourhood, no more."""
    return (round(round(latitude / GRID_LAT) * GRID_LAT, 3),
            round(round(longitude / GRID_LON) * GRID_LON, 3))


def agency(report: Report, lang: str) -> tuple[str, str]:
    """The municipality in charge: its name in ``lang`` and its NIS code; while the resident's
    "I don't know" waits for the coordinators, the Region's coordinators and the Region's code."""
    if report.municipality_to_decide:
        return _("Regional coordinators (municipality to decide)"), geo.REGION_ID
    municipality = geo.municipality(report.municipality_nis)
    return municipality.name(lang), municipality.nis


def address(report: Report) -> str:
    """The place as the reporter gave it, for partners who may read it."""
    if report.postal_code in report.street:
        return report.street
    return ", ".join(part for part in (report.street, report.postal_code) if part)


# Filing a request -----------------------------------------------------------------------------

def submission_key(key: ApiKey, idempotency_key: str | None) -> str | None:
    """The report's submission key: the partner's idempotency key, scoped to its API key, so
    that two partners who pick the same idempotency key get two reports."""
    if not idempotency_key:
        return None
    return hash_secret(f"{key.id}:{idempotency_key}")


def today() -> date:
    """Today in Brussels: the date of the facts when a partner does not give one."""
    from portal.reports.services import brussels_now

    return brussels_now().date()


def notice(report: Report, lang: str) -> str:
    """What the partner shows the resident once the report is filed."""
    return _("Report %(reference)s received. Municipality in charge: %(municipality)s. "
             "A report is not a complaint to the police; if someone is in danger, call 112.",
             reference=report.reference, municipality=agency(report, lang)[0])
