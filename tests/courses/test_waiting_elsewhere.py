"""Waiting for one session never blocks a place in another session of the same course; taking
a place ends the person's other waiting entries for that course, and the e-mail says so."""
from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from portal.courses import organising, signup
from portal.courses.models import Registration
from portal.extensions import db
from tests.conftest import csrf_token
from tests.courses.helpers import (
    confirm,
    make_session,
    outbox,
    post_sign_up,
    registrations,
    sign_up_direct,
    token_in,
    token_of,
)


def _full(app: Flask, capacity: int = 1, **kwargs) -> int:
    """A session whose places are all taken by other people."""
    session_id = make_session(app, capacity=capacity, **kwargs)
    for n in range(capacity):
        sign_up_direct(app, session_id, f"holder{session_id}-{n}@example.be")
    return session_id


def _status(app: Flask, session_id: int, email: str) -> Registration:
    (row,) = [r for r in registrations(app, session_id) if (r.email or "").lower() == email]
    return row


def test_waiting_for_one_session_then_a_place_in_another(app: Flask, client: FlaskClient) -> None:
    full = _full(app)
    other = make_session(app)
    waiting = post_sign_up(client, full, "en", email="amina@example.be")
    assert waiting.status_code == 303
    assert _status(app, full, "amina@example.be").status == "waiting"
    # The same address, another session of the same course with places: a place, not "already booked".
    taken = post_sign_up(client, other, "en", email="Amina@Example.be")
    assert taken.status_code == 303 and "/courses/booking/" in taken.headers["Location"]
    place = _status(app, other, "amina@example.be")
    assert place.status == "confirmed"
    left = _status(app, full, "amina@example.be")
    assert left.status == "place_elsewhere" and left.active_key is None and left.ended_at is not None
    confirmed = [m for m in outbox(app) if m.recipient.lower() == "amina@example.be"][-1]
    assert ("You were also on the waiting list of another session of this course: "
            "you are no longer on it.") in confirmed.body
    # The booking page of the ended entry tells what happened, in the registrant's words.
    page = client.get(f"/en/courses/booking/{token_in(outbox(app, 'amina@example.be')[0].body)}")
    assert "You took a place in another session of this course" in page.get_data(as_text=True)


def test_a_first_place_says_nothing_about_waiting_lists(app: Flask, client: FlaskClient) -> None:
    session_id = make_session(app)
    token_of(post_sign_up(client, session_id, "en", email="solo@example.be"))
    (mail,) = outbox(app, "solo@example.be")
    assert "no longer on" not in mail.body and "other session" not in mail.body


def test_one_place_per_course_and_once_on_each_waiting_list(app: Flask, client: FlaskClient) -> None:
    full, first, second = _full(app), make_session(app), make_session(app)
    assert sign_up_direct(app, full, "jo@example.be").outcome == "waiting"
    assert sign_up_direct(app, full, "jo@example.be").outcome == "duplicate"
    assert sign_up_direct(app, first, "jo@example.be").outcome == "confirmed"
    assert sign_up_direct(app, second, "jo@example.be").outcome == "duplicate"  # one place per course
    # Holding a place, the address cannot join a waiting list of the course either.
    assert sign_up_direct(app, _full(app), "jo@example.be").outcome == "duplicate"
    # Another course type is another matter.
    assert sign_up_direct(app, make_session(app, course_type="basic-first-aid"), "jo@example.be").outcome == "confirmed"


def test_an_offer_elsewhere_is_not_made_to_who_already_holds_one(app: Flask, client: FlaskClient) -> None:
    """Waiting for two full sessions: an offer in one; a place freed in the other goes to the next
    person; accepting ends the other waiting entry."""
    one, two = _full(app), _full(app)
    assert sign_up_direct(app, one, "both@example.be", lang="en").outcome == "waiting"
    assert sign_up_direct(app, two, "both@example.be", lang="en").outcome == "waiting"
    assert sign_up_direct(app, two, "next@example.be").outcome == "waiting"
    for session_id in (one, two):
        holder = _status(app, session_id, f"holder{session_id}-0@example.be")
        with app.app_context():
            signup.cancel_registration(db.session.get(Registration, holder.id))
            db.session.commit()
    assert _status(app, one, "both@example.be").status == "offered"
    assert _status(app, two, "both@example.be").status == "waiting"
    assert _status(app, two, "next@example.be").status == "offered"
    offer = outbox(app, "both@example.be")[-1]
    assert confirm(client, token_in(offer.body, "accept"), "accept", "en").status_code == 303
    assert _status(app, one, "both@example.be").status == "confirmed"
    assert _status(app, two, "both@example.be").status == "place_elsewhere"
    assert "no longer on it" in outbox(app, "both@example.be")[-1].body


def test_an_organiser_cannot_give_a_second_place(app: Flask) -> None:
    one, two = _full(app), _full(app)
    sign_up_direct(app, one, "both@example.be")
    sign_up_direct(app, two, "both@example.be")
    holder = _status(app, one, f"holder{one}-0@example.be")
    with app.app_context():
        signup.cancel_registration(db.session.get(Registration, holder.id))
        db.session.commit()
    waiting = _status(app, two, "both@example.be")
    with app.app_context():
        try:
            organising.promote(db.session.get(Registration, waiting.id), "Urgent", allow_over_capacity=True)
        except organising.Invalid as refused:
            # Outside a request the message is in the default language (French).
            assert "autre session" in str(refused.errors["registration"])
        else:
            raise AssertionError("a second place was given")
        db.session.rollback()
    assert _status(app, two, "both@example.be").status == "waiting"


def test_a_full_sessions_page_separates_its_waiting_list_from_the_other_sessions(
        app: Flask, client: FlaskClient) -> None:
    full = _full(app)
    make_session(app)
    for lang, heading in (("fr", "Sessions de la même formation"), ("en", "Sessions of the same course")):
        html = client.get(f"/{lang}/courses/{full}").get_data(as_text=True)
        suggestions = html.index('class="suggestions"')
        waiting = html.index('<section class="waiting-list"')
        form = html.index('<form method="post"')
        assert heading in html[suggestions:waiting]
        assert suggestions < waiting < form < html.index("</section>", waiting)
        assert csrf_token(html)
    html = client.get(f"/en/courses/{full}").get_data(as_text=True)
    assert re.search(r'<h2 id="sign-up">Join the waiting list for this session</h2>', html)
