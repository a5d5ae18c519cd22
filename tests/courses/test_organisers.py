"""The organisers' workspace (issue 5): who sees what (as a table), and every page doing its job."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.courses import organising
from portal.courses.models import CourseSession, Registration
from portal.extensions import db
from tests.conftest import csrf_token
from tests.courses.helpers import make_session, outbox, registrations, sign_up_direct
from tests.staff import login, make_user

BRUSSELS = ZoneInfo("Europe/Brussels")
ROLES = {
    "anonymous": None,
    "organiser-own": ("own@courses.example", "organiser", ()),
    "organiser-other": ("other@courses.example", "organiser", ()),
    "admin": ("admin@region.example", "admin", ()),
    "coordinator": ("coord@region.example", "coordinator", ()),
    "staff": ("staff@ixelles.example", "staff", ("21009",)),
}


@dataclass
class World:
    users: dict[str, int]
    session_id: int
    #: Ana Costa, signed up on the Dutch pages, confirmed and recorded present.
    holder_id: int
    #: Bob Martin, on the waiting list (the session has one place).
    waiting_id: int
    #: The session's (only) date.
    day_id: int


def own_session(app: Flask, organiser_id: int, **options) -> int:
    session_id = make_session(app, **options)
    with app.app_context():
        db.session.get(CourseSession, session_id).organiser_id = organiser_id
        db.session.commit()
    return session_id


def registration_id(app: Flask, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Registration.id).where(Registration.email == email))


@pytest.fixture
def world(app: Flask) -> World:
    users = {role: make_user(app, *spec) for role, spec in ROLES.items() if spec}
    session_id = own_session(app, users["organiser-own"], capacity=1)
    sign_up_direct(app, session_id, "ana@example.be", lang="nl", name="Ana Costa")
    sign_up_direct(app, session_id, "bob@example.be", lang="fr", name="Bob Martin")
    holder = registration_id(app, "ana@example.be")
    with app.app_context():
        organising.check_in(db.session.get(Registration, holder), True)
        db.session.commit()
    with app.app_context():
        day_id = db.session.get(CourseSession, session_id).dates[0].id
    return World(users, session_id, holder, registration_id(app, "bob@example.be"), day_id)


def client_as(app: Flask, role: str) -> FlaskClient:
    client = app.test_client()
    if ROLES[role]:
        assert login(client, ROLES[role][0]).status_code == 303
    return client


def token_for(client: FlaskClient, role: str) -> str:
    """A valid CSRF token of this client's own session: refusals below are not CSRF failures."""
    page = client.get("/fr/manage/login" if role == "anonymous" else "/fr/manage/",
                      follow_redirects=True).get_data(as_text=True)
    return csrf_token(page)


def session_form(token: str, **overrides: str) -> dict[str, str]:
    """The create/edit form as a browser sends it: three date rows, the last two empty."""
    day = (datetime.now(BRUSSELS) + timedelta(days=20)).date()
    data = {"csrf_token": token, "course_type": "cpr-aed", "language": "nl",
            "venue_name": "Gemeenschapscentrum De Markten", "address": "Oude Graanmarkt 5, 1000 Brussel",
            "municipality": "21004", "capacity": "12",
            "dates-0-day": day.isoformat(), "dates-0-start": "09:00", "dates-0-end": "13:00",
            "dates-1-day": "", "dates-1-start": "", "dates-1-end": "",
            "dates-2-day": "", "dates-2-start": "", "dates-2-end": "",
            "notes_fr": "Entrée par la cour.", "notes_nl": "Ingang via de binnenplaats.", "notes_en": ""}
    data.update(overrides)
    return data


def edit_form(app: Flask, session_id: int, token: str, **overrides: str) -> dict[str, str]:
    """The edit form filled with the session as it is, then ``overrides``."""
    with app.app_context():
        session = db.session.get(CourseSession, session_id)
        data = session_form(token, course_type=session.course_type_code, language=session.language,
                            venue_name=session.venue_name, address=session.address,
                            municipality=session.municipality_nis, capacity=str(session.capacity))
        for index, date in enumerate(session.dates):
            start, end = date.starts_at.astimezone(BRUSSELS), date.ends_at.astimezone(BRUSSELS)
            data.update({f"dates-{index}-day": start.date().isoformat(),
                         f"dates-{index}-start": start.strftime("%H:%M"),
                         f"dates-{index}-end": end.strftime("%H:%M")})
    data.update(overrides)
    return data


# Who sees what -----------------------------------------------------------------------------------

GET_URLS = ["/fr/manage/courses/", "/fr/manage/courses/new", "/fr/manage/courses/{s}",
            "/fr/manage/courses/{s}/edit", "/fr/manage/courses/{s}/cancel",
            "/fr/manage/courses/{s}/check-in", "/fr/manage/courses/{s}/participants.csv",
            "/fr/manage/courses/{s}/registrations/{r}/attestation", "/fr/manage/courses/{s}/attestations",
            "/fr/manage/courses/{s}/check-in?day={d}"]
EXPECTED_GET = {  # role -> status per URL of GET_URLS
    "anonymous": [302] * 10,
    "organiser-own": [200] * 10,
    "organiser-other": [200, 200, 404, 404, 404, 404, 404, 404, 404, 404],
    "admin": [200] * 10,
    "coordinator": [403] * 10,
    "staff": [403] * 10,
}
SEES_SESSION = {"organiser-own", "admin"}


@pytest.mark.parametrize("role", list(ROLES))
def test_every_organiser_url_for_every_role(app: Flask, world: World, role: str) -> None:
    client = client_as(app, role)
    statuses = []
    for url in GET_URLS:
        response = client.get(url.format(s=world.session_id, r=world.holder_id, d=world.day_id))
        statuses.append(response.status_code)
        if response.status_code == 302:
            assert "/fr/manage/login" in response.headers["Location"]
        if response.status_code == 200 and url.endswith("/courses/"):
            shown = f'href="/fr/manage/courses/{world.session_id}"' in response.get_data(as_text=True)
            assert shown == (role in SEES_SESSION)
        if response.status_code == 404:
            assert "Ana Costa" not in response.get_data(as_text=True)
    assert statuses == EXPECTED_GET[role]


ACTIONS = ["create", "edit", "cancel", "promote", "check-in", "check-in-day"]
EXPECTED_POST = {"anonymous": 302, "organiser-own": 303, "organiser-other": 404, "admin": 303,
                 "coordinator": 403, "staff": 403}


def _action(app: Flask, world: World, action: str, token: str) -> tuple[str, dict[str, str]]:
    base = f"/fr/manage/courses/{world.session_id}"
    if action == "create":
        return "/fr/manage/courses/new", session_form(token)
    if action == "edit":
        return base + "/edit", edit_form(app, world.session_id, token, venue_name="Salle B")
    if action == "cancel":
        return base + "/cancel", {"csrf_token": token}
    if action == "promote":
        prefix = f"p{world.waiting_id}"
        return (f"{base}/registrations/{world.waiting_id}/promote",
                {f"{prefix}-csrf_token": token, f"{prefix}-reason": "Examen de conduite lundi",
                 f"{prefix}-over_capacity": "y"})
    if action == "check-in-day":
        return (f"{base}/registrations/{world.holder_id}/check-in",
                {"csrf_token": token, "attended": "0", "day": str(world.day_id)})
    return f"{base}/registrations/{world.holder_id}/check-in", {"csrf_token": token, "attended": "0"}


def _state(app: Flask) -> tuple:
    with app.app_context():
        session = db.session.scalar(select(CourseSession).order_by(CourseSession.id))
        rows = {r.email: (r.status, r.attended) for r in session.registrations}
        return (db.session.scalar(select(func.count(CourseSession.id))), session.venue_name,
                session.status, rows["bob@example.be"][0], rows["ana@example.be"][1])


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_for_every_role(app: Flask, world: World, role: str, action: str) -> None:
    client = client_as(app, role)
    url, data = _action(app, world, action, token_for(client, role))
    before = _state(app)
    response = client.post(url, data=data)
    # Another organiser may create sessions of their own; only the one of the world is closed to them.
    expected = 303 if (action == "create" and role == "organiser-other") else EXPECTED_POST[role]
    assert response.status_code == expected, response.get_data(as_text=True)[:2000]
    after = _state(app)
    assert (after != before) == (expected == 303)
    if expected == 303:
        changed = {"create": (2, "Maison de quartier", "open", "waiting", True),
                   "edit": (1, "Salle B", "open", "waiting", True),
                   "cancel": (1, "Maison de quartier", "cancelled", "session_cancelled", True),
                   "promote": (1, "Maison de quartier", "open", "confirmed", True),
                   "check-in": (1, "Maison de quartier", "open", "waiting", False),
                   "check-in-day": (1, "Maison de quartier", "open", "waiting", False)}
        assert after == changed[action]


def test_a_session_that_does_not_exist_looks_like_another_organisers(app: Flask, world: World) -> None:
    client = client_as(app, "organiser-other")
    for session_id in (world.session_id, 999999, 2**40):
        assert client.get(f"/fr/manage/courses/{session_id}").status_code == 404
    own = client_as(app, "organiser-own")
    # A registration of another session (or none) under one's own session is no registration.
    other = own_session(app, world.users["organiser-other"])
    sign_up_direct(app, other, "eve@example.be", name="Eve")
    eve = registration_id(app, "eve@example.be")
    assert own.get(f"/fr/manage/courses/{world.session_id}/registrations/{eve}/attestation").status_code == 404


def test_organisers_start_on_their_sessions_and_see_the_link(app: Flask, world: World) -> None:
    organiser = client_as(app, "organiser-own")
    response = organiser.get("/nl/manage/")
    assert response.status_code == 302 and response.headers["Location"] == "/nl/manage/courses/"
    nav = 'href="/nl/manage/courses/"'
    assert nav in organiser.get("/nl/manage/courses/").get_data(as_text=True)
    assert nav in client_as(app, "admin").get("/nl/manage/").get_data(as_text=True)
    assert nav not in client_as(app, "coordinator").get("/nl/manage/reports").get_data(as_text=True)


# Create, edit, cancel ----------------------------------------------------------------------------

def test_create_a_session_and_residents_find_it(app: Flask, world: World) -> None:
    client = client_as(app, "organiser-own")
    page = client.get("/nl/manage/courses/new").get_data(as_text=True)
    assert '<option value="21009">Elsene</option>' in page and 'name="dates-2-day"' in page
    day = (datetime.now(BRUSSELS) + timedelta(days=30)).date()
    second = day + timedelta(days=7)
    response = client.post("/nl/manage/courses/new", data=session_form(
        csrf_token(page), **{"dates-0-day": day.isoformat(), "dates-1-day": second.isoformat(),
                             "dates-1-start": "09:30", "dates-1-end": "12:00"}))
    assert response.status_code == 303
    with app.app_context():
        session = db.session.scalar(select(CourseSession).order_by(CourseSession.id.desc()))
        assert session.organiser_id == world.users["organiser-own"]
        assert (session.course_type_code, session.language, session.municipality_nis, session.capacity) == (
            "cpr-aed", "nl", "21004", 12)
        assert [(d.starts_at.astimezone(BRUSSELS).replace(tzinfo=None),
                 d.ends_at.astimezone(BRUSSELS).replace(tzinfo=None))
                for d in session.dates] == [(datetime(day.year, day.month, day.day, 9),
                                             datetime(day.year, day.month, day.day, 13)),
                                            (datetime(second.year, second.month, second.day, 9, 30),
                                             datetime(second.year, second.month, second.day, 12))]
        assert session.notes_nl == "Ingang via de binnenplaats."
        new_id = session.id
    assert response.headers["Location"] == f"/nl/manage/courses/{new_id}"
    listing = app.test_client().get("/nl/courses/").get_data(as_text=True)
    assert f'href="/nl/courses/{new_id}"' in listing and "Gemeenschapscentrum De Markten" in listing
    assert "Reanimatie en defibrillator (CPR-AED)" in listing
    detail = app.test_client().get(f"/nl/courses/{new_id}").get_data(as_text=True)
    assert "Ingang via de binnenplaats." in detail
    # The organiser's own list has it, with its counts; the other organiser's list does not.
    mine = client.get("/en/manage/courses/").get_data(as_text=True)
    assert f'href="/en/manage/courses/{new_id}"' in mine and "Places taken: 0 of 12" in mine
    others = client_as(app, "organiser-other").get("/en/manage/courses/").get_data(as_text=True)
    assert f"/manage/courses/{new_id}\"" not in others


def test_an_evening_date_may_end_after_midnight(app: Flask, world: World) -> None:
    client = client_as(app, "organiser-own")
    token = csrf_token(client.get("/en/manage/courses/new").get_data(as_text=True))
    day = (datetime.now(BRUSSELS) + timedelta(days=12)).date()
    response = client.post("/en/manage/courses/new", data=session_form(
        token, venue_name="Salle du soir",
        **{"dates-0-day": day.isoformat(), "dates-0-start": "20:00", "dates-0-end": "00:30"}))
    assert response.status_code == 303
    session_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        [date] = db.session.get(CourseSession, session_id).dates
        assert date.ends_at - date.starts_at == timedelta(hours=4, minutes=30)
        assert date.ends_at.astimezone(BRUSSELS).date() == day + timedelta(days=1)
    # The edit form shows it as typed, and saving it unchanged keeps it.
    page = client.get(f"/en/manage/courses/{session_id}/edit").get_data(as_text=True)
    assert re.search(r'<input [^>]*name="dates-0-end" [^>]*value="00:30"', page)
    response = client.post(f"/en/manage/courses/{session_id}/edit",
                           data=edit_form(app, session_id, csrf_token(page)))
    assert response.status_code == 303
    with app.app_context():
        [same] = db.session.get(CourseSession, session_id).dates
        assert same.id == date.id and same.ends_at == date.ends_at


def test_form_errors_are_at_the_field_and_keep_what_was_typed(app: Flask, world: World) -> None:
    client = client_as(app, "organiser-own")
    token = csrf_token(client.get("/en/manage/courses/new").get_data(as_text=True))
    yesterday = (datetime.now(BRUSSELS) - timedelta(days=1)).date().isoformat()
    response = client.post("/en/manage/courses/new", data=session_form(
        token, venue_name="  ", capacity="douze", address="Rue Haute 1",
        **{"dates-1-day": yesterday, "dates-1-start": "10:00", "dates-1-end": "12:00",
           "dates-2-day": "2031-02-30", "dates-2-start": "25:99"}))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Give the name of the place." in html  # the service's rule, next to its field
    assert "Give a whole number, for example 12." in html and 'value="douze"' in html
    assert "This date has passed" in html and f'value="{yesterday}"' in html
    assert 'value="2031-02-30"' in html and 'value="25:99"' in html
    assert 'value="Rue Haute 1"' in html and "Ingang via de binnenplaats." in html
    assert 'href="#venue_name"' in html and 'href="#dates-2-start"' in html  # the summary links
    assert 'aria-invalid="true"' in html
    with app.app_context():
        assert db.session.scalar(select(func.count(CourseSession.id))) == 1


@pytest.mark.parametrize(("field", "value", "message"), [
    ("dates-0-day", "0001-01-01", "This date has passed"),
    ("dates-0-day", "9999-12-31", "Give a date within the next two years."),
    ("dates-0-day", "99999-01-01", "Give a date such as 2026-03-31."),
    ("dates-0-end", "24:00", "Give a time such as 17:30."),
    ("dates-0-end", "08:00", "The end must be after the start."),
    ("capacity", "9" * 5000, "Give a whole number, for example 12."),
    ("capacity", "201", "Give a number of places between 1 and 200."),
    ("municipality", "31005", "Choose one of the 19 municipalities."),
    ("course_type", "x" * 300, "Choose one of the course types."),
    ("language", "de", "Choose the language of the course."),
    ("notes_en", "n" * 2001, "Use at most 2000 characters."),
    ("dates-40-day", "2030-01-01", None),  # beyond the rows offered: ignored, not a crash
])
def test_odd_values_are_messages_not_errors(app: Flask, world: World, field: str, value: str,
                                            message: str | None) -> None:
    client = client_as(app, "organiser-own")
    token = csrf_token(client.get("/en/manage/courses/new").get_data(as_text=True))
    response = client.post("/en/manage/courses/new", data=session_form(token, **{field: value}))
    if message is None:
        assert response.status_code in (303, 422)
        return
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(CourseSession.id))) == 1


def test_administrators_hand_sessions_to_organisers(app: Flask, world: World) -> None:
    admin = client_as(app, "admin")
    page = admin.get("/en/manage/courses/new").get_data(as_text=True)
    assert f'<option value="{world.users["organiser-other"]}">other</option>' in page
    assert f'value="{world.users["coordinator"]}"' not in page
    token = csrf_token(page)
    refused = admin.post("/en/manage/courses/new",
                         data=session_form(token, organiser=str(world.users["coordinator"])))
    assert refused.status_code == 422 and "Choose one of the organisers." in refused.get_data(as_text=True)
    assert admin.post("/en/manage/courses/new", data=session_form(
        token, organiser=str(world.users["organiser-other"]), venue_name="Salle E")).status_code == 303
    # An organiser cannot hand a session to someone else: the field is not even read.
    own = client_as(app, "organiser-own")
    token = csrf_token(own.get("/en/manage/courses/new").get_data(as_text=True))
    assert own.post("/en/manage/courses/new", data=session_form(
        token, organiser=str(world.users["organiser-other"]), venue_name="Salle F")).status_code == 303
    with app.app_context():
        owners = dict(db.session.execute(
            select(CourseSession.venue_name, CourseSession.organiser_id)).all())
    assert owners["Salle E"] == world.users["organiser-other"]
    assert owners["Salle F"] == world.users["organiser-own"]
    listing = client_as(app, "organiser-other").get("/en/manage/courses/").get_data(as_text=True)
    assert "Salle E" in listing and "Salle F" not in listing


def test_capacity_below_the_places_taken_is_refused(app: Flask, world: World) -> None:
    session_id = own_session(app, world.users["organiser-own"], capacity=3)
    for n in range(3):
        sign_up_direct(app, session_id, f"p{n}@example.be")
    client = client_as(app, "organiser-own")
    token = csrf_token(client.get(f"/en/manage/courses/{session_id}/edit").get_data(as_text=True))
    response = client.post(f"/en/manage/courses/{session_id}/edit",
                           data=edit_form(app, session_id, token, capacity="2", venue_name="Salle C"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "3 people already have a place: give at least that many places." in html
    assert 'value="2"' in html and 'value="Salle C"' in html
    with app.app_context():
        session = db.session.get(CourseSession, session_id)
        assert (session.capacity, session.venue_name) == (3, "Maison de quartier")


def test_more_places_are_offered_at_once(app: Flask, world: World) -> None:
    client = client_as(app, "organiser-own")
    sign_up_direct(app, world.session_id, "cleo@example.be", lang="en", name="Cleo")
    token = csrf_token(client.get(f"/en/manage/courses/{world.session_id}/edit").get_data(as_text=True))
    response = client.post(f"/en/manage/courses/{world.session_id}/edit",
                           data=edit_form(app, world.session_id, token, capacity="2"))
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 new place offered by e-mail to the first person on the waiting list." in page
    assert [r.status for r in registrations(app, world.session_id)] == ["confirmed", "offered", "waiting"]
    offer = outbox(app, "bob@example.be")[-1]
    assert offer.language == "fr" and offer.subject.startswith("Une place est libre pour vous")


def test_cancel_asks_first_then_tells_everyone_in_their_language(app: Flask, world: World) -> None:
    sign_up_direct(app, world.session_id, "cleo@example.be", lang="en", name="Cleo")
    client = client_as(app, "organiser-own")
    url = f"/fr/manage/courses/{world.session_id}/cancel"
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert [r.status for r in registrations(app, world.session_id)] == ["confirmed", "waiting", "waiting"]
    response = client.post(url, data={"csrf_token": csrf_token(confirm.get_data(as_text=True))})
    assert response.status_code == 303
    assert [r.status for r in registrations(app, world.session_id)] == ["session_cancelled"] * 3
    expected = {"ana@example.be": ("nl", "Sessie geannuleerd: Eerste hulp voor het rijbewijs"),
                "bob@example.be": ("fr", "Session annulée\u00a0: Premiers secours pour le permis de conduire"),
                "cleo@example.be": ("en", "Session cancelled: First aid for the driving licence")}
    for email, (language, subject) in expected.items():
        mail = outbox(app, email)[-1]
        assert (mail.language, mail.subject) == (language, subject)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "3 personnes ont été prévenues par e-mail" in page  # the flash counts the people told
    assert client.get(url).status_code == 303  # nothing left to cancel
    assert f'href="/fr/courses/{world.session_id}"' not in app.test_client().get("/fr/courses/").get_data(as_text=True)


# The lists ---------------------------------------------------------------------------------------

def test_lists_show_positions_contacts_and_the_promotion_reason(app: Flask, world: World) -> None:
    sign_up_direct(app, world.session_id, "cleo@example.be", lang="en", name="Cleo Dupont")
    client = client_as(app, "organiser-own")
    url = f"/en/manage/courses/{world.session_id}"
    response = client.get(url)
    assert response.headers["Cache-Control"] == "no-store"  # personal data, maybe on a shared phone
    html = response.get_data(as_text=True)
    attendees, waiting = html.split('id="waiting"')
    assert "Ana Costa" in attendees and "ana@example.be" in attendees and "Dutch" in attendees
    assert "Bob Martin" in waiting and "Cleo Dupont" in waiting
    assert waiting.index("Bob Martin") < waiting.index("Cleo Dupont")  # queue order
    assert "Places taken: 1 of 1" in html and "Waiting: 2" in html
    cleo = registration_id(app, "cleo@example.be")
    prefix = f"p{cleo}"
    token = re.search(rf'name="{prefix}-csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    promote = f"{url}/registrations/{cleo}/promote"
    # The reason is required, and the person stays where they were.
    response = client.post(promote, data={f"{prefix}-csrf_token": token, f"{prefix}-reason": "  "})
    assert response.status_code == 422
    assert "Say why this person goes before the others." in response.get_data(as_text=True)
    # Full: refused unless the organiser takes one more; the reason typed stays in the box.
    reason = "Driving test on Monday"
    response = client.post(promote, data={f"{prefix}-csrf_token": token, f"{prefix}-reason": reason})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "The session is full." in body and f"{reason}</textarea>" in body
    assert [r.status for r in registrations(app, world.session_id)] == ["confirmed", "waiting", "waiting"]
    response = client.post(promote, data={f"{prefix}-csrf_token": token, f"{prefix}-reason": reason,
                                          f"{prefix}-over_capacity": "y"})
    assert response.status_code == 303
    rows = registrations(app, world.session_id)
    assert [r.status for r in rows] == ["confirmed", "waiting", "confirmed"]
    assert rows[2].promotion_reason == reason
    mail = outbox(app, "cleo@example.be")[-1]
    assert (mail.language, mail.subject) == ("en", "Sign-up confirmed: First aid for the driving licence")
    html = client.get(url).get_data(as_text=True)
    attendees = html.split('id="waiting"')[0]
    assert "Cleo Dupont" in attendees and reason in attendees and "Places taken: 2 of 1" in html


def test_csv_has_a_bom_the_names_and_no_formulas(app: Flask, world: World) -> None:
    sign_up_direct(app, world.session_id, "mal@example.be", name='=HYPERLINK("http://x")')
    response = client_as(app, "organiser-own").get(f"/fr/manage/courses/{world.session_id}/participants.csv")
    assert response.mimetype == "text/csv" and response.data.startswith("\ufeff".encode())
    assert response.headers["Cache-Control"] == "no-store"
    assert f'filename="session-{world.session_id}.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Nom", "Adresse e-mail", "Téléphone"]
    assert [row[0] for row in rows[1:]] == ["Ana Costa", "Bob Martin", "'=HYPERLINK(\"http://x\")"]
    assert rows[1][5] == "Oui"  # Ana was recorded present


# On the day --------------------------------------------------------------------------------------

def test_check_in_from_a_phone_then_an_attestation_in_the_attendees_language(app: Flask) -> None:
    owner = make_user(app, "own@courses.example", "organiser")
    session_id = own_session(app, owner, municipality="21009", starts_in=timedelta(hours=1), capacity=3)
    sign_up_direct(app, session_id, "jan@example.be", lang="nl", name="Jan Peeters")
    sign_up_direct(app, session_id, "lea@example.be", lang="fr", name="Léa Dubois")
    jan, lea = registration_id(app, "jan@example.be"), registration_id(app, "lea@example.be")
    client = client_as(app, "organiser-own")
    base = f"/fr/manage/courses/{session_id}"
    # Nobody is recorded present yet: no attestation.
    refused = client.get(f"{base}/registrations/{jan}/attestation")
    assert refused.status_code == 303 and refused.headers["Location"].startswith(base)
    page = client.get(f"{base}/check-in").get_data(as_text=True)
    assert page.count('class="checkin-buttons"') == 2
    assert page.index("Jan Peeters") < page.index("Léa Dubois")  # by name, as on a paper list
    assert f'action="{base}/registrations/{jan}/check-in"' in page
    assert 'name="attended" value="1"' in page and 'name="attended" value="0"' in page
    assert "<script" not in page
    token = csrf_token(page)
    response = client.post(f"{base}/registrations/{jan}/check-in", data={"csrf_token": token, "attended": "1"})
    assert response.status_code == 303 and response.headers["Location"] == f"{base}/check-in#r{jan}"
    response = client.post(f"{base}/registrations/{lea}/check-in", data={"csrf_token": token, "attended": "0"})
    assert response.status_code == 303
    assert [(r.name, r.attended) for r in registrations(app, session_id)] == [
        ("Jan Peeters", True), ("Léa Dubois", False)]
    assert client.post(f"{base}/registrations/{lea}/check-in",
                       data={"csrf_token": token, "attended": "maybe"}).status_code == 400
    # Jan signed up in Dutch: his attestation is in Dutch, inside the organiser's French page.
    response = client.get(f"{base}/registrations/{jan}/attestation")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="fr">' in html and '<article class="attestation" lang="nl">' in html
    document = html.split('<article class="attestation" lang="nl">')[1].split("</article>")[0]
    with app.app_context():
        starts = db.session.get(CourseSession, session_id).starts_at
    assert "Jan Peeters" in document and "Eerste hulp voor het rijbewijs" in document
    assert "<br>Elsene</dd>" in document  # the municipality in Dutch (the address is as typed)
    assert format_date(starts.astimezone(BRUSSELS).date(), "full", locale="nl") in document
    assert "Premiers secours" not in document
    assert response.headers["Cache-Control"] == "no-store"
    # Léa was absent: refused, with the reason on the session page.
    refused = client.get(f"{base}/registrations/{lea}/attestation", follow_redirects=True)
    refused_page = refused.get_data(as_text=True)
    assert "Léa Dubois" in refused_page and 'class="attestation"' not in refused_page


def test_french_attestation_for_a_french_registrant(app: Flask, world: World) -> None:
    sign_up_direct(app, world.session_id, "x@example.be", lang="fr", name="Zoé")
    with app.app_context():
        session = db.session.get(CourseSession, world.session_id)
        session.capacity = 2
        zoe = db.session.scalar(select(Registration).where(Registration.email == "x@example.be"))
        organising.promote(zoe, "test", allow_over_capacity=True)
        organising.check_in(zoe, True)
        db.session.commit()
        zoe_id = zoe.id
    html = client_as(app, "admin").get(
        f"/nl/manage/courses/{world.session_id}/registrations/{zoe_id}/attestation").get_data(as_text=True)
    document = html.split('<article class="attestation" lang="fr">')[1]
    assert "Premiers secours pour le permis de conduire" in document and "Ixelles" in document


# CSRF --------------------------------------------------------------------------------------------

def test_actions_without_csrf_are_refused(app: Flask, world: World) -> None:
    client = client_as(app, "organiser-own")
    base = f"/fr/manage/courses/{world.session_id}"
    assert client.post(base + "/cancel", data={}).status_code == 400
    assert client.post(f"{base}/registrations/{world.holder_id}/check-in", data={"attended": "0"}).status_code == 400
    prefix = f"p{world.waiting_id}"
    assert client.post(f"{base}/registrations/{world.waiting_id}/promote",
                       data={f"{prefix}-reason": "x", f"{prefix}-over_capacity": "y"}).status_code == 400
    assert client.post(base + "/cancel", data={"csrf_token": "forged"}).status_code == 400
    # The session form checks its own token: it comes back with what was typed, nothing saved.
    data = session_form("forged", venue_name="Salle D")
    response = client.post("/en/manage/courses/new", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The form had expired" in html and 'value="Salle D"' in html
    response = client.post(base + "/edit", data=edit_form(app, world.session_id, "forged", venue_name="Salle D"))
    assert response.status_code == 422
    assert _state(app) == (1, "Maison de quartier", "open", "waiting", True)


# The migration -----------------------------------------------------------------------------------

def _run_migration(step: str) -> None:
    """Go down to just before this migration, or up to the head, the way `flask db` does
    (through migrations/env.py, which turns SQLite's foreign keys off while migrating)."""
    from flask_migrate import downgrade, upgrade

    if step == "downgrade":
        downgrade(revision="c5a1b2c3d4e5")
    else:
        upgrade()


def test_the_foreign_key_migration_keeps_the_data(app: Flask, world: World) -> None:
    """On SQLite the table is rebuilt: its dates (ON DELETE CASCADE) and registrations survive."""
    from sqlalchemy import inspect

    def foreign_keys() -> list[str]:
        return [fk["referred_table"] for fk in inspect(db.engine).get_foreign_keys("course_session")]

    with app.app_context():
        before = (db.session.scalar(select(func.count()).select_from(Registration)),
                  len(db.session.get(CourseSession, world.session_id).dates))
        db.session.commit()
        db.session.remove()
        try:
            _run_migration("downgrade")
            assert "staff_user" not in foreign_keys()
            # Without the constraint, an id of no account could be stored; the upgrade clears it.
            db.session.execute(db.text("UPDATE course_session SET organiser_id = 424242"))
            db.session.commit()
            db.session.remove()
        finally:
            _run_migration("upgrade")
        assert "staff_user" in foreign_keys()
        session = db.session.get(CourseSession, world.session_id)
        assert session.organiser_id is None
        assert (db.session.scalar(select(func.count()).select_from(Registration)), len(session.dates)) == before
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(db.text("PRAGMA foreign_keys")).scalar() == 1
