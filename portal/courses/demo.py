"""Demo course sessions for a local try-out: idempotent, never loaded in production."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta

from sqlalchemy import select

from portal.courses import organising, signup
from portal.courses.models import (
    CourseSession,
    Purpose,
    Registration,
    RegistrationStatus,
)
from portal.db import utcnow
from portal.extensions import db
from portal.times import BRUSSELS

#: Reserved top-level domain: these addresses can never receive mail.
DEMO_DOMAIN = "demo.invalid"
NOTES = {
    "fr": "Apportez une pièce d'identité et de quoi noter. Tenue confortable : on s'exerce au sol.",
    "nl": "Breng uw identiteitskaart en iets om te noteren mee. Draag gemakkelijke kleren: we oefenen op de grond.",
    "en": "Bring an identity document and something to write with. Wear comfortable clothes: we practise on the floor.",
}
#: (venue, address, municipality, type, language, capacity, days from today, start hour,
#: hours, number of dates, places already taken)
SESSIONS = [
    ("Maison de la Croix-Rouge d'Ixelles", "Rue de la Croix 22, 1050 Ixelles", "21009",
     "driving-licence", "fr", 12, 4, 9, 4, 1, 11),
    ("Gemeenschapscentrum Elzenhof", "Kroonlaan 12, 1050 Elsene", "21009",
     "driving-licence", "nl", 12, 9, 13, 4, 1, 3),
    ("Centre culturel d'Anderlecht", "Rue du Chapelain 1, 1070 Anderlecht", "21001",
     "basic-first-aid", "fr", 15, 12, 9, 5, 3, 15),
    ("Maison communale de Schaerbeek", "Place Colignon 1, 1030 Schaerbeek", "21015",
     "cpr-aed", "fr", 16, 6, 18, 4, 1, 2),
    ("Brussels Volunteer Centre", "Rue Royale 11, 1000 Bruxelles", "21004",
     "cpr-aed", "en", 14, 15, 10, 4, 1, 13),
    ("Jeugdhuis Jette", "Kardinaal Mercierplein 10, 1090 Jette", "21010",
     "basic-first-aid", "nl", 12, 20, 9, 5, 3, 0),
]


def _day_at(days: int, hour: int) -> datetime:
    day = (utcnow() + timedelta(days=days)).astimezone(BRUSSELS).date()
    return datetime.combine(day, time(hour), BRUSSELS)


def load() -> Iterator[str]:
    """Add the demo sessions that are missing (matched by venue), with some places taken."""
    added = 0
    for (venue, address, nis, course_type, language, capacity, days, hour, hours, count,
         taken) in SESSIONS:
        exists = db.session.scalar(select(CourseSession.id).where(CourseSession.venue_name == venue))
        if exists is not None:
            continue
        dates = [(_day_at(days + 7 * n, hour), _day_at(days + 7 * n, hour) + timedelta(hours=hours))
                 for n in range(count)]
        session = organising.create_session(organising.SessionDraft(
            course_type_code=course_type, language=language, venue_name=venue, address=address,
            municipality_nis=nis, capacity=capacity, dates=dates, notes=dict(NOTES)))
        # Places taken by demo people, without messages: nobody is there to read them.
        for n in range(taken):
            email = f"participant{n}.session{session.id}@{DEMO_DOMAIN}"
            db.session.add(Registration(
                session_id=session.id, status=RegistrationStatus.CONFIRMED,
                name=f"Demo participant {n + 1}", email=email, language=language,
                purpose=Purpose.DRIVING_LICENCE if course_type == "driving-licence" else Purpose.GENERAL,
                active_key=signup.active_key(course_type, email), confirmed_at=utcnow()))
        added += 1
    db.session.flush()
    yield f"Demo course sessions: {added} added."
