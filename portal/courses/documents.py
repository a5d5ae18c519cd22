"""Documents organisers take away: the participants' list (CSV) and attestations."""
from __future__ import annotations

from dataclasses import dataclass

from portal import csvfile, geo
from portal.courses.attendance import attestation_days, may_have_attestation
from portal.courses.models import CourseSession, CourseSessionDate, Registration, RegistrationStatus
from portal.courses.organising import participants
from portal.i18n import _, localized


def participants_csv(session: CourseSession) -> str:
    """The list for the organiser's spreadsheet, in the current language."""
    header = [_("Name"), _("E-mail address"), _("Phone"), _("Reason"), _("Status"), _("Present")]
    return csvfile.text([header] + [
        [r.name, r.email, r.phone, r.purpose_title, r.status_title,
         "" if r.attended is None else (_("Yes") if r.attended else _("No"))]
        for r in participants(session)])


@dataclass(frozen=True)
class Attestation:
    """What a participation attestation states."""

    name: str
    course_type: str
    dates: list[CourseSessionDate]
    venue: str
    municipality: str


def attestation(registration: Registration, lang: str) -> Attestation:
    """The facts of an attestation; only for someone recorded present."""
    days = attestation_days(registration)
    session = registration.session
    return Attestation(registration.name or "", localized(session.course_type, "name", lang),
                       days, f"{session.venue_name}, {session.address}",
                       geo.municipality(session.municipality_nis).name(lang))


def attestations(session: CourseSession) -> list[tuple[Registration, Attestation]]:
    """Every attestation the session gives (its rule decides who gets one), by name."""
    issued = []
    for registration in sorted(session.registrations, key=lambda r: ((r.name or "").casefold(), r.id)):
        if registration.status == RegistrationStatus.CONFIRMED and may_have_attestation(registration):
            issued.append((registration, attestation(registration, registration.language)))
    return issued
