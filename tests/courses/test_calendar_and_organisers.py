"""The .ics file, the services the organisers' pages will call, and the demo data."""
from __future__ import annotations

import base64
import csv
import io
from datetime import UTC, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import func, select

from portal.courses import documents, exceptions, links, organising, places
from portal.courses.models import CourseSession, Registration
from portal.extensions import db
from portal.i18n import speaking
from tests.courses.helpers import (
    make_session,
    outbox,
    post_sign_up,
    registrations,
    sign_up_direct,
    token_of,
)


def _calendar(message) -> Calendar:
    [attachment] = message.attachments
    assert attachment["content_type"].startswith("text/calendar")
    return Calendar.from_ical(base64.b64decode(attachment["data"]))


def test_confirmation_calendar_has_one_event_per_date_in_utc(app: Flask, client: FlaskClient) -> None:
    session_id = make_session(app, days=3, course_type="basic-first-aid", hours=5,
                              venue="Centre culturel", address="Rue du Chapelain 1, 1070 Anderlecht")
    token = token_of(post_sign_up(client, session_id, "nl", email="jan@example.be"))
    message = outbox(app, "jan@example.be")[0]
    calendar = _calendar(message)
    raw = base64.b64decode(message.attachments[0]["data"]).decode()
    events = list(calendar.walk("VEVENT"))
    with app.app_context():
        dates = [(d.id, d.starts_at, d.ends_at)
                 for d in db.session.get(CourseSession, session_id).dates]
    assert len(events) == 3
    assert calendar["METHOD"] == "PUBLISH"
    for event, (date_id, start, end) in zip(events, dates, strict=True):
        assert event.decoded("DTSTART") == start and event.decoded("DTSTART").tzinfo is not None
        assert event.decoded("DTSTART").utcoffset() == timedelta(0)
        assert event.decoded("DTEND") == end
        assert str(event["SUMMARY"]) == "Basiscursus eerste hulp"
        assert str(event["LOCATION"]) == "Centre culturel, Rue du Chapelain 1, 1070 Anderlecht"
        assert str(event["UID"]) == f"course-session-{session_id}-date-{date_id}@127.0.0.1"
        assert "Breng uw identiteitskaart mee." in str(event["DESCRIPTION"])
    assert f"DTSTART:{dates[0][1].astimezone(UTC):%Y%m%dT%H%M%S}Z" in raw
    assert token in raw  # the booking link, for the person's own calendar
    # The public download has the same events (same UIDs) and no personal link.
    download = client.get(f"/fr/courses/{session_id}/calendar.ics")
    assert download.headers["Content-Type"].startswith("text/calendar")
    public = Calendar.from_ical(download.data)
    assert [str(e["UID"]) for e in public.walk("VEVENT")] == [str(e["UID"]) for e in events]
    assert token.encode() not in download.data
    assert str(next(iter(public.walk("VEVENT")))["SUMMARY"]) == "Formation de base aux premiers secours"


def test_session_cancelled_by_the_organiser(app: Flask, client: FlaskClient) -> None:
    session_id = make_session(app, capacity=1)
    alternative = make_session(app, venue="Autre salle", starts_in=timedelta(days=15))
    holder = token_of(post_sign_up(client, session_id, "nl", email="jan@example.be"))
    sign_up_direct(app, session_id, "kim@example.be", lang="en")
    with app.app_context():
        cancelled = organising.cancel_session(session_id)
        # Whom the cancellation told, for the organiser's confirmation: no reading it back.
        assert cancelled.session.id == session_id
        assert sorted(r.email for r in cancelled.reached) == ["jan@example.be", "kim@example.be"]
        db.session.commit()
        with pytest.raises(exceptions.SessionClosed):
            organising.cancel_session(session_id)
    assert [r.status for r in registrations(app, session_id)] == ["session_cancelled"] * 2
    jan = outbox(app, "jan@example.be")[-1]
    kim = outbox(app, "kim@example.be")[-1]
    assert jan.language == "nl" and "Eerste hulp voor het rijbewijs" in jan.subject
    assert f"/nl/courses/{alternative}" in jan.body and "Autre salle" in jan.body
    calendar = _calendar(jan)
    assert calendar["METHOD"] == "CANCEL"
    assert [str(e["STATUS"]) for e in calendar.walk("VEVENT")] == ["CANCELLED"]
    first = _calendar(outbox(app, "jan@example.be")[0])
    assert [str(e["UID"]) for e in calendar.walk("VEVENT")] == [str(e["UID"]) for e in first.walk("VEVENT")]
    sequences = [int(next(iter(c.walk("VEVENT")))["SEQUENCE"]) for c in (first, calendar)]
    assert sequences[1] >= sequences[0]
    assert kim.language == "en" and kim.attachments == []  # she was only waiting
    html = client.get(f"/nl/courses/booking/{holder}").get_data(as_text=True)
    assert "De sessie werd geannuleerd" in html and f'/{holder}/cancel"' not in html


@pytest.mark.parametrize(("change", "field"), [
    ({"course_type_code": "juggling"}, "course_type"),
    ({"language": "de"}, "language"),
    ({"venue_name": "  "}, "venue_name"),
    ({"address": ""}, "address"),
    ({"municipality_nis": "31005"}, "municipality"),
    ({"capacity": 0}, "capacity"),
    ({"dates": []}, "dates"),
])
def test_session_validation(app: Flask, change: dict, field: str) -> None:
    from portal.db import utcnow

    start = utcnow() + timedelta(days=3)
    values = {"course_type_code": "cpr-aed", "language": "fr", "venue_name": "Salle", "address": "Rue 1",
              "municipality_nis": "21001", "capacity": 12, "dates": [(start, start + timedelta(hours=4))]}
    values.update(change)
    with app.app_context():
        with pytest.raises(exceptions.Invalid) as invalid:
            organising.create_session(organising.SessionDraft(**values))
        assert field in invalid.value.errors
        assert db.session.scalar(select(func.count(CourseSession.id))) == 0


def test_promote_from_the_waiting_list_with_a_reason(app: Flask) -> None:
    session_id = make_session(app, capacity=1)
    sign_up_direct(app, session_id, "h@example.be")
    sign_up_direct(app, session_id, "w1@example.be")
    second = sign_up_direct(app, session_id, "w2@example.be", lang="nl")
    with app.app_context():
        registration = links.find_by_token(second.token)
        with pytest.raises(exceptions.Invalid):
            organising.promote(registration, "  ")
        with pytest.raises(exceptions.NoPlace):
            organising.promote(registration, "Needs it for the exam on Monday")
        organising.promote(registration, "Needs it for the exam on Monday", allow_over_capacity=True)
        db.session.commit()
    rows = registrations(app, session_id)
    assert [r.status for r in rows] == ["confirmed", "waiting", "confirmed"]
    assert rows[2].promotion_reason == "Needs it for the exam on Monday"
    mail = outbox(app, "w2@example.be")[-1]
    assert mail.language == "nl" and mail.attachments[0]["filename"] == "course.ics"


def test_participants_csv_defuses_formulas(app: Flask) -> None:
    session_id = make_session(app, capacity=1)
    sign_up_direct(app, session_id, "a@example.be", name="=HYPERLINK(\"http://x\")")
    sign_up_direct(app, session_id, "b@example.be", name="Bea")
    with app.app_context(), speaking("en"):
        session = db.session.get(CourseSession, session_id)
        rows = list(csv.reader(io.StringIO(documents.participants_csv(session))))
    assert rows[0] == ["Name", "E-mail address", "Phone", "Reason", "Status", "Present"]
    assert rows[1][0] == "'=HYPERLINK(\"http://x\")" and rows[1][4] == "Confirmed"
    assert rows[2][:2] == ["Bea", "b@example.be"] and rows[2][4] == "On the waiting list"


def test_attestation_only_for_participants_present(app: Flask) -> None:
    session_id = make_session(app, course_type="cpr-aed", municipality="21004", capacity=1)
    result = sign_up_direct(app, session_id, "a@example.be", name="Ana Costa")
    waiting = sign_up_direct(app, session_id, "w@example.be")
    with app.app_context():
        with pytest.raises(exceptions.Invalid):
            organising.check_in(links.find_by_token(waiting.token), True)
        registration = links.find_by_token(result.token)
        with pytest.raises(exceptions.Invalid):
            documents.attestation(registration, "fr")
        organising.check_in(registration, True)
        facts = documents.attestation(registration, "nl")
    assert facts.name == "Ana Costa"
    assert facts.course_type == "Reanimatie en defibrillator (CPR-AED)"
    assert facts.municipality == "Brussel"
    assert len(facts.dates) == 1


def test_demo_data_is_idempotent(app: Flask) -> None:
    from portal.courses import demo

    with app.app_context():
        assert list(demo.load()) == [f"Demo course sessions: {len(demo.SESSIONS)} added."]
        db.session.commit()
        assert list(demo.load()) == ["Demo course sessions: 0 added."]
        db.session.commit()
        sessions = list(db.session.scalars(select(CourseSession)))
        seats = places.availabilities(sessions)
        assert len(sessions) == len(demo.SESSIONS)
        assert {s.language for s in sessions} == {"fr", "nl", "en"}
        assert {s.course_type_code for s in sessions} == {"driving-licence", "basic-first-aid", "cpr-aed"}
        assert any(seat.places_left == 1 for seat in seats.values())  # nearly full
        assert any(seat.is_full for seat in seats.values())
        assert all(r.email.endswith("@demo.invalid")
                   for r in db.session.scalars(select(Registration)))
