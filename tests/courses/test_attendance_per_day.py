"""Issue 16, courses: presence per day, the attestation rule, cancelled sessions' lists, refused
actions said at the top, every attestation on one page, and adding a date without saving."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.courses import organising
from portal.courses.models import Attendance, AttestationRule, CourseSession, Registration
from portal.extensions import db
from portal.i18n import format_date as portal_date
from portal.i18n import speaking
from tests.conftest import csrf_token
from tests.courses.helpers import make_session, sign_up_direct
from tests.staff import login, make_user

BRUSSELS = ZoneInfo("Europe/Brussels")


def _organiser(app: Flask) -> tuple[int, FlaskClient]:
    owner = make_user(app, "own@courses.example", "organiser")
    client = app.test_client()
    assert login(client, "own@courses.example").status_code == 303
    return owner, client


def _three_days(app: Flask, owner: int, rule: str = AttestationRule.ALL_DAYS,
                people: tuple[tuple[str, str, str], ...] = (("Jan Peeters", "jan@example.be", "nl"),
                                                            ("Léa Dubois", "lea@example.be", "fr"))
                ) -> tuple[int, list[int], list[datetime], dict[str, int]]:
    """A three-date session (4 h each, a week apart) of ``owner``, with confirmed people."""
    session_id = make_session(app, days=3, capacity=5, starts_in=timedelta(hours=1))
    for name, email, lang in people:
        sign_up_direct(app, session_id, email, lang=lang, name=name)
    with app.app_context():
        session = db.session.get(CourseSession, session_id)
        session.organiser_id = owner
        session.attestation_rule = rule
        days = [d.id for d in session.dates]
        starts = [d.starts_at for d in session.dates]
        ids = {r.name or "": r.id for r in session.registrations}
        db.session.commit()
    return session_id, days, starts, ids


def _check(client: FlaskClient, base: str, registration: int, day: int, present: bool):
    page = client.get(f"{base}/check-in?day={day}").get_data(as_text=True)
    return client.post(f"{base}/registrations/{registration}/check-in",
                       data={"csrf_token": csrf_token(page), "attended": "1" if present else "0",
                             "day": str(day)})


def _document(html: str, lang: str) -> str:
    return html.split(f'lang="{lang}">', 2)[-1].split("</article>")[0]


def test_one_day_of_three_gives_no_attestation_and_each_day_is_checked_in(app: Flask) -> None:
    owner, client = _organiser(app)
    session_id, days, starts, ids = _three_days(app, owner)
    base = f"/fr/manage/courses/{session_id}"
    jan = ids["Jan Peeters"]
    # Day 1 by default (it starts within the hour); links to the three days.
    page = client.get(f"{base}/check-in").get_data(as_text=True)
    assert f'name="day" value="{days[0]}"' in page
    for number, day in enumerate(days, start=1):
        assert f'href="{base}/check-in?day={day}"' in page and f"Jour {number}" in page
    response = _check(client, base, jan, days[0], True)
    assert response.status_code == 303
    assert response.headers["Location"] == f"{base}/check-in?day={days[0]}#r{jan}"
    # Present on day 1 only: the rule "every date" refuses the attestation, at the top of the page.
    refused = client.get(f"{base}/registrations/{jan}/attestation")
    assert refused.status_code == 303 and refused.headers["Location"] == base
    shown = client.get(base).get_data(as_text=True)
    assert "à chaque date" in shown.split('id="attendees"')[0]
    assert f"/registrations/{jan}/attestation" not in shown
    # Day 2's page shows day 2's marks (none yet) and the table shows day 1's.
    page = client.get(f"{base}/check-in?day={days[1]}").get_data(as_text=True)
    line = page.split(f'id="r{jan}"')[1].split("</li>")[0]
    assert "Pas encore noté" in line and f'name="day" value="{days[1]}"' in line
    grid = page.split('class="attendance-grid"')[1].split("</table>")[0]
    row = grid.split("Jan Peeters</th>")[1].split("</tr>")[0]
    assert re.findall(r"<td>([^<]*)</td>", row) == ["Présent", "–", "–"]
    assert _check(client, base, jan, days[1], True).status_code == 303
    assert _check(client, base, jan, days[2], False).status_code == 303
    assert client.get(f"{base}/registrations/{jan}/attestation").status_code == 303
    # Marked present on day 3 after all: now every date, 12 hours.
    assert _check(client, base, jan, days[2], True).status_code == 303
    html = client.get(f"{base}/registrations/{jan}/attestation").get_data(as_text=True)
    document = _document(html, "nl")
    for start in starts:
        assert format_date(start.astimezone(BRUSSELS).date(), "full", locale="nl") in document
    assert "12 u" in document
    with app.app_context():
        assert db.session.scalar(select(func.count(Attendance.id))) == 3
        assert db.session.get(Registration, jan).attended is True


def test_the_days_attended_rule_lists_only_those_days(app: Flask) -> None:
    owner, client = _organiser(app)
    session_id, days, starts, ids = _three_days(app, owner, AttestationRule.DAYS_ATTENDED)
    base = f"/en/manage/courses/{session_id}"
    lea = ids["Léa Dubois"]
    assert _check(client, base, lea, days[0], True).status_code == 303
    assert _check(client, base, lea, days[1], False).status_code == 303
    assert _check(client, base, lea, days[2], True).status_code == 303
    html = client.get(f"{base}/registrations/{lea}/attestation").get_data(as_text=True)
    document = _document(html, "fr")
    with speaking("fr"):  # as the portal writes them ("1er décembre" on the first of a month)
        dates = [portal_date(s, "full") for s in starts]
    assert dates[0] in document and dates[2] in document and dates[1] not in document
    assert "8 h" in document and "12 h" not in document
    # Absent on every date recorded: no attestation under either rule.
    jan = ids["Jan Peeters"]
    assert _check(client, base, jan, days[0], False).status_code == 303
    assert client.get(f"{base}/registrations/{jan}/attestation").status_code == 303


def test_a_day_of_another_session_is_refused(app: Flask) -> None:
    owner, client = _organiser(app)
    session_id, days, _starts, ids = _three_days(app, owner)
    _other, other_days, _s, _i = _three_days(app, owner, people=())
    base = f"/fr/manage/courses/{session_id}"
    page = client.get(f"{base}/check-in").get_data(as_text=True)
    for forged in (str(other_days[0]), "abc", "99999999999"):
        response = client.post(f"{base}/registrations/{ids['Jan Peeters']}/check-in",
                               data={"csrf_token": csrf_token(page), "attended": "1", "day": forged})
        assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(Attendance.id))) == 0


def test_print_all_attestations_follows_the_rule(app: Flask) -> None:
    owner, client = _organiser(app)
    people = (("Jan Peeters", "jan@example.be", "nl"), ("Léa Dubois", "lea@example.be", "fr"),
              ("Sam Hill", "sam@example.be", "en"))
    session_id, days, _starts, ids = _three_days(app, owner, people=people)
    base = f"/fr/manage/courses/{session_id}"
    for day in days:
        assert _check(client, base, ids["Jan Peeters"], day, True).status_code == 303
        assert _check(client, base, ids["Sam Hill"], day, True).status_code == 303
    assert _check(client, base, ids["Léa Dubois"], days[0], True).status_code == 303
    html = client.get(f"{base}/attestations").get_data(as_text=True).split('class="staff-nav"')[1]
    articles = re.findall(r'<article class="attestation attestation-page" lang="(\w\w)">', html)
    assert articles == ["nl", "en"]  # by name; Léa came on one day of three
    assert "Jan Peeters" in html and "Sam Hill" in html and "Léa Dubois" not in html
    assert "Eerste hulp voor het rijbewijs" in html and "First aid for the driving licence" in html
    assert f'href="{base}/attestations"' in client.get(base).get_data(as_text=True)
    # The organiser changes the rule: Léa's attestation (one date) joins.
    with app.app_context():
        db.session.get(CourseSession, session_id).attestation_rule = AttestationRule.DAYS_ATTENDED
        db.session.commit()
    html = client.get(f"{base}/attestations").get_data(as_text=True)
    assert re.findall(r'attestation-page" lang="(\w\w)"', html) == ["nl", "fr", "en"]


def test_a_cancelled_session_still_lists_who_was_signed_up(app: Flask) -> None:
    owner, client = _organiser(app)
    session_id = make_session(app, capacity=1)
    with app.app_context():
        db.session.get(CourseSession, session_id).organiser_id = owner
        db.session.commit()
    sign_up_direct(app, session_id, "ana@example.be", name="Ana Costa")
    sign_up_direct(app, session_id, "bob@example.be", name="Bob Martin")
    with app.app_context():
        db.session.scalar(select(Registration).where(Registration.email == "bob@example.be")).phone = "0470 11 22 33"
        db.session.commit()
    base = f"/nl/manage/courses/{session_id}"
    page = client.get(f"{base}/cancel").get_data(as_text=True)
    assert client.post(f"{base}/cancel", data={"csrf_token": csrf_token(page)}).status_code == 303
    html = client.get(base).get_data(as_text=True)
    told = html.split('id="told"')[1]
    assert "Ana Costa" in told and "Bob Martin" in told and 'href="tel:0470112233"' in told
    rows = list(csv.reader(io.StringIO(client.get(f"{base}/participants.csv").data.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["Ana Costa", "Bob Martin"]
    assert rows[2][2] == "0470 11 22 33"


def test_a_refused_promotion_is_said_at_the_top(app: Flask) -> None:
    owner, client = _organiser(app)
    session_id = make_session(app, capacity=1)
    with app.app_context():
        db.session.get(CourseSession, session_id).organiser_id = owner
        db.session.commit()
    sign_up_direct(app, session_id, "ana@example.be", name="Ana Costa")
    sign_up_direct(app, session_id, "bob@example.be", name="Bob Martin")
    with app.app_context():
        bob = db.session.scalar(select(Registration.id).where(Registration.email == "bob@example.be"))
    base = f"/fr/manage/courses/{session_id}"
    page = client.get(base).get_data(as_text=True)
    response = client.post(f"{base}/registrations/{bob}/promote",
                           data={f"p{bob}-csrf_token": csrf_token(page), f"p{bob}-reason": "Examen lundi"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    top = html.split('id="attendees"')[0]
    assert 'class="error-summary" role="alert"' in top and "La session est complète" in top
    assert f'href="#p{bob}-over_capacity"' in top and "Bob Martin" in top
    assert "Examen lundi</textarea>" in html


def test_add_a_date_keeps_what_was_typed_and_saves_nothing(app: Flask) -> None:
    owner, client = _organiser(app)
    page = client.get("/fr/manage/courses/new").get_data(as_text=True)
    assert 'name="add_date"' in page and 'name="attestation_rule"' in page
    day = (datetime.now(BRUSSELS) + timedelta(days=20)).date()
    data = {"csrf_token": csrf_token(page), "course_type": "cpr-aed", "language": "nl",
            "venue_name": "Salle Molière", "address": "Rue de la Paix 1, 1050 Ixelles",
            "municipality": "21009", "capacity": "10", "attestation_rule": AttestationRule.DAYS_ATTENDED,
            **{f"dates-{i}-{k}": "" for i in range(3) for k in ("day", "start", "end")},
            "notes_fr": "", "notes_nl": "", "notes_en": ""}
    for i in range(3):
        data.update({f"dates-{i}-day": (day + timedelta(days=i)).isoformat(),
                     f"dates-{i}-start": "09:00", f"dates-{i}-end": "12:00"})
    response = client.post("/fr/manage/courses/new", data={**data, "add_date": "1"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="dates-3-day"' in html and 'value="Salle Molière"' in html
    assert f'value="{(day + timedelta(days=2)).isoformat()}"' in html
    assert re.search(r'id="dates-3-day"[^>]*autofocus', html) or re.search(r'autofocus[^>]*id="dates-3-day"', html)
    assert 'value="days_attended" checked' in html or re.search(r'checked[^>]*value="days_attended"', html)
    with app.app_context():
        assert db.session.scalar(select(func.count(CourseSession.id))) == 0
    data.update({"csrf_token": csrf_token(html), "dates-3-day": (day + timedelta(days=3)).isoformat(),
                 "dates-3-start": "09:00", "dates-3-end": "12:00"})
    assert client.post("/fr/manage/courses/new", data=data).status_code == 303
    with app.app_context():
        session = db.session.scalar(select(CourseSession))
        assert len(session.dates) == 4 and session.attestation_rule == AttestationRule.DAYS_ATTENDED
        assert session.organiser_id == owner


def test_an_unknown_attestation_rule_comes_back_at_its_field(app: Flask) -> None:
    _owner, client = _organiser(app)
    page = client.get("/en/manage/courses/new").get_data(as_text=True)
    day = (datetime.now(BRUSSELS) + timedelta(days=20)).date()
    response = client.post("/en/manage/courses/new", data={
        "csrf_token": csrf_token(page), "course_type": "cpr-aed", "language": "nl",
        "venue_name": "Salle Molière", "address": "Rue de la Paix 1, 1050 Ixelles",
        "municipality": "21009", "capacity": "10", "attestation_rule": "everyone",
        "dates-0-day": day.isoformat(), "dates-0-start": "09:00", "dates-0-end": "12:00"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Choose who gets an attestation." in html and 'value="Salle Molière"' in html


def test_check_in_through_the_service_defaults_to_todays_date(app: Flask) -> None:
    session_id = make_session(app, days=3, starts_in=timedelta(days=1))
    sign_up_direct(app, session_id, "jan@example.be", name="Jan")
    with app.app_context():
        session = db.session.get(CourseSession, session_id)
        registration = session.registrations[0]
        organising.check_in(registration, True, now=session.dates[1].starts_at + timedelta(minutes=5))
        db.session.commit()
        assert [(a.session_date_id, a.attended) for a in registration.attendance] == [(session.dates[1].id, True)]


def test_the_migration_copies_a_recorded_presence_to_every_date(app: Flask) -> None:
    """Presence recorded before per-date check-in was for the whole session: attestations already
    issued stay as they were."""
    from flask_migrate import downgrade, upgrade

    session_id = make_session(app, days=2)
    sign_up_direct(app, session_id, "jan@example.be", name="Jan")
    sign_up_direct(app, session_id, "lea@example.be", name="Léa")
    with app.app_context():
        db.session.remove()
        try:
            downgrade(revision="ebf73494d909")
            db.session.execute(db.text("UPDATE course_registration SET attended = :yes, checked_in_at = "
                                       "created_at WHERE email = 'jan@example.be'"), {"yes": True})
            db.session.commit()
            db.session.remove()
        finally:
            upgrade()
        session = db.session.get(CourseSession, session_id)
        assert session.attestation_rule == AttestationRule.ALL_DAYS
        rows = db.session.execute(select(Attendance.registration_id, Attendance.session_date_id,
                                         Attendance.attended).order_by(Attendance.session_date_id)).all()
        jan = next(r for r in session.registrations if r.name == "Jan")
        assert [tuple(row) for row in rows] == [(jan.id, d.id, True) for d in session.dates]
