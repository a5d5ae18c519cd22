"""A freed place goes to the first person waiting, by an offer that expires and passes on."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.courses import (
    exceptions,
    links,
    listing,
    organising,
    places,
    schedule,
    signup,
)
from portal.db import utcnow
from portal.extensions import db
from tests.conftest import csrf_token
from tests.courses.helpers import (
    confirm,
    make_session,
    outbox,
    post_sign_up,
    registrations,
    sign_up_direct,
    starts_at,
    token_in,
    token_of,
)


def _full_with_queue(app: Flask, client: FlaskClient, waiting: int = 2, **kwargs):
    """A 2-place session, both taken through the site, and people waiting (by the service)."""
    session_id = make_session(app, capacity=2, **kwargs)
    tokens = [token_of(post_sign_up(client, session_id, "fr", email=f"c{n}@example.be"))
              for n in range(2)]
    for n in range(waiting):
        sign_up_direct(app, session_id, f"w{n}@example.be", lang="nl" if n == 0 else "en")
    return session_id, tokens


def test_cancel_frees_the_place_and_offers_it_to_the_first_waiting(app: Flask, client: FlaskClient) -> None:
    session_id, tokens = _full_with_queue(app, client)
    page = client.get(f"/fr/courses/booking/{tokens[0]}/cancel")
    assert page.status_code == 200 and 'type="submit"' in page.get_data(as_text=True)
    # The GET (a mail scanner following the link) changed nothing.
    assert [r.status for r in registrations(app, session_id)] == [
        "confirmed", "confirmed", "waiting", "waiting"]
    response = client.post(f"/fr/courses/booking/{tokens[0]}/cancel",
                           data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert response.status_code == 303
    assert "cancelled" in response.headers["Location"]
    rows = registrations(app, session_id)
    assert [r.status for r in rows] == ["cancelled", "confirmed", "offered", "waiting"]
    deadline = rows[2].offer_expires_at
    assert deadline == rows[2].offered_at + timedelta(hours=48)  # the course is 10 days away
    waiting_mail, offer = outbox(app, "w0@example.be")
    assert "U staat op plaats 1 op de wachtlijst" in waiting_mail.body
    assert offer.language == "nl" and "Eerste hulp voor het rijbewijs" in offer.subject
    assert "/nl/courses/booking/" in offer.body and "/accept" in offer.body and "/decline" in offer.body
    # The person who cancelled can sign up again later; their active booking is gone.
    assert rows[0].active_key is None


def test_accept_confirms_with_a_calendar(app: Flask, client: FlaskClient) -> None:
    session_id, tokens = _full_with_queue(app, client)
    confirm(client, tokens[1], "cancel")
    offer = outbox(app, "w0@example.be")[-1]
    token = token_in(offer.body, "accept")
    page = client.get(f"/nl/courses/booking/{token}/accept")
    assert page.status_code == 200 and registrations(app, session_id)[2].status == "offered"
    response = confirm(client, token, "accept", "nl")
    assert response.status_code == 303 and "done=confirmed" in response.headers["Location"]
    rows = registrations(app, session_id)
    assert [r.status for r in rows] == ["confirmed", "cancelled", "confirmed", "waiting"]
    confirmation = outbox(app, "w0@example.be")[-1]
    assert confirmation.language == "nl" and confirmation.attachments[0]["filename"] == "course.ics"
    assert "Eerste hulp voor het rijbewijs" in confirmation.subject
    # Twice (a second tap, a reloaded POST) is harmless.
    again = client.post(f"/nl/courses/booking/{token}/accept",
                        data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert "done=already" in again.headers["Location"]
    assert "Ja, ik neem de plaats" not in client.get(
        f"/nl/courses/booking/{token}/accept").get_data(as_text=True)
    assert len(outbox(app, "w0@example.be")) == 3  # waiting, offer, confirmation


def test_decline_passes_the_place_on(app: Flask, client: FlaskClient) -> None:
    session_id, tokens = _full_with_queue(app, client)
    confirm(client, tokens[0], "cancel")
    token = token_in(outbox(app, "w0@example.be")[-1].body, "decline")
    csrf = csrf_token(client.get(f"/nl/courses/booking/{token}/decline").get_data(as_text=True))
    response = confirm(client, token, "decline", "nl")
    assert "done=declined" in response.headers["Location"]
    rows = registrations(app, session_id)
    assert [r.status for r in rows] == ["cancelled", "confirmed", "declined", "offered"]
    assert outbox(app, "w1@example.be")[-1].language == "en"
    assert "/accept" in outbox(app, "w1@example.be")[-1].body
    # A declined offer cannot be accepted any more.
    assert "done=gone" in confirm(client, token, "accept", "nl", csrf).headers["Location"]


def test_offer_expires_by_tick_and_passes_on(app: Flask, client: FlaskClient) -> None:
    session_id, tokens = _full_with_queue(app, client)
    confirm(client, tokens[0], "cancel")
    first = registrations(app, session_id)[2]
    with app.app_context():
        report = schedule.tick(now=first.offer_expires_at - timedelta(seconds=1))
    assert report.expired == 0 and registrations(app, session_id)[2].status == "offered"
    with app.app_context():
        report = schedule.tick(now=first.offer_expires_at)
    assert (report.expired, report.offered) == (1, 1)
    rows = registrations(app, session_id)
    assert [r.status for r in rows] == ["cancelled", "confirmed", "expired", "offered"]
    # Too late for the first: the link says so, and the place stays with the second.
    token = token_in(outbox(app, "w0@example.be")[-1].body, "accept")
    page = client.get(f"/nl/courses/booking/{token}/accept").get_data(as_text=True)
    assert "Ja, ik neem de plaats" not in page and "De termijn om de plaats te aanvaarden is verstreken" in page
    csrf = csrf_token(client.get(f"/fr/courses/{session_id}").get_data(as_text=True))
    assert "done=expired" in confirm(client, token, "accept", "nl", csrf).headers["Location"]
    assert registrations(app, session_id)[3].status == "offered"


def test_an_expired_offer_accepted_before_tick_runs_is_refused_and_passed_on(app: Flask) -> None:
    session_id = make_session(app, capacity=1)
    holder = sign_up_direct(app, session_id, "h@example.be")
    sign_up_direct(app, session_id, "a@example.be")
    sign_up_direct(app, session_id, "b@example.be")
    with app.app_context():
        signup.cancel_registration(links.find_by_token(holder.token))
        db.session.commit()
    offered = registrations(app, session_id)[1]
    with app.app_context():
        registration = links.find_by_token(
            token_in(outbox(app, "a@example.be")[-1].body, "accept"))
        late = offered.offer_expires_at + timedelta(minutes=1)
        assert signup.accept_offer(registration, now=late) == "expired"
        db.session.commit()
    assert [r.status for r in registrations(app, session_id)] == ["cancelled", "expired", "offered"]


@pytest.mark.parametrize(("lead", "window"), [
    (timedelta(days=10), timedelta(hours=48)),
    (timedelta(days=7, minutes=1), timedelta(hours=48)),
    (timedelta(days=5), timedelta(hours=24)),
    (timedelta(days=2, minutes=1), timedelta(hours=24)),
    (timedelta(days=1), timedelta(hours=4)),
    (timedelta(hours=3), timedelta(hours=2, minutes=30)),  # ends half an hour before the start
])
def test_offer_deadline(lead: timedelta, window: timedelta) -> None:
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    deadline = places.offer_deadline(now + lead, now)
    assert deadline - now == window
    assert deadline < now + lead  # never after the start


def test_no_offer_in_the_last_hour(app: Flask, client: FlaskClient) -> None:
    session_id = make_session(app, capacity=1, starts_in=timedelta(minutes=50))
    holder = sign_up_direct(app, session_id, "h@example.be")
    sign_up_direct(app, session_id, "w@example.be")
    with app.app_context():
        signup.cancel_registration(links.find_by_token(holder.token))
        db.session.commit()
    assert [r.status for r in registrations(app, session_id)] == ["cancelled", "waiting"]


def test_waiting_person_can_leave_the_list(app: Flask, client: FlaskClient) -> None:
    session_id = make_session(app, capacity=1)
    sign_up_direct(app, session_id, "h@example.be")
    first = token_of(post_sign_up(client, session_id, "en", email="w1@example.be"))
    second = token_of(post_sign_up(client, session_id, "en", email="w2@example.be"))
    page = client.get(f"/en/courses/booking/{first}/cancel").get_data(as_text=True)
    assert "Leave the waiting list?" in page
    confirm(client, first, "cancel", "en")
    html = client.get(f"/en/courses/booking/{second}").get_data(as_text=True)
    assert "You are number 1 on the waiting list." in html
    assert [r.status for r in registrations(app, session_id)] == ["confirmed", "cancelled", "waiting"]


def test_cancel_without_csrf_changes_nothing(app: Flask, client: FlaskClient) -> None:
    session_id = make_session(app)
    token = token_of(post_sign_up(client, session_id))
    response = client.post(f"/fr/courses/booking/{token}/cancel", data={})
    assert response.status_code == 400
    assert registrations(app, session_id)[0].status == "confirmed"


def test_cancel_twice_and_after_the_start(app: Flask, client: FlaskClient) -> None:
    session_id = make_session(app)
    token = token_of(post_sign_up(client, session_id))
    confirm(client, token, "cancel")
    page = client.get(f"/fr/courses/booking/{token}/cancel").get_data(as_text=True)
    assert 'type="submit"' not in page
    with app.app_context():
        registration = links.find_by_token(token)
        assert signup.cancel_registration(registration) is False
    late = make_session(app)
    token = token_of(post_sign_up(client, late, email="late@example.be"))
    started = starts_at(app, late) + timedelta(minutes=5)
    with app.app_context(), pytest.raises(exceptions.SessionClosed):
        signup.cancel_registration(links.find_by_token(token), now=started)


def test_capacity_raised_by_the_organiser_offers_places(app: Flask) -> None:
    session_id = make_session(app, capacity=1)
    for n in range(3):
        sign_up_direct(app, session_id, f"p{n}@example.be")
    with app.app_context():
        session = listing.get_session(session_id)
        draft = organising.SessionDraft(
            course_type_code=session.course_type_code, language=session.language,
            venue_name=session.venue_name, address=session.address,
            municipality_nis=session.municipality_nis, capacity=2,
            dates=[(d.starts_at, d.ends_at) for d in session.dates])
        changed = organising.update_session(session_id, draft)
        # Whom the new place went to, for the organiser's confirmation: no reading it back.
        assert [r.email for r in changed.reached] == ["p1@example.be"]
        db.session.commit()
    assert [r.status for r in registrations(app, session_id)] == ["confirmed", "offered", "waiting"]
    with app.app_context():
        draft.capacity = 0
        with pytest.raises(exceptions.Invalid):
            organising.update_session(session_id, draft)
        db.session.rollback()
        draft.capacity = 1
        with pytest.raises(exceptions.Invalid) as fewer:
            organising.update_session(session_id, draft)
        assert "2" in fewer.value.errors["capacity"]


def test_the_list_counts_offered_places_as_taken(app: Flask, client: FlaskClient) -> None:
    session_id = make_session(app, capacity=2)
    holder = sign_up_direct(app, session_id, "h@example.be")
    sign_up_direct(app, session_id, "k@example.be")
    sign_up_direct(app, session_id, "w@example.be")
    with app.app_context():
        signup.cancel_registration(links.find_by_token(holder.token))
        db.session.commit()
        seats = places.availability(listing.get_session(session_id))
    assert (seats.taken, seats.waiting, seats.places_left) == (2, 0, 0)
    # A newcomer now waits: the offered place is held for the person it was offered to.
    assert sign_up_direct(app, session_id, "n@example.be").outcome == "waiting"
    assert utcnow() < registrations(app, session_id)[2].offer_expires_at


def test_a_started_session_cannot_be_cancelled_online(app: Flask, client: FlaskClient) -> None:
    session_id = make_session(app, starts_in=timedelta(hours=-1))
    result = sign_up_direct(app, session_id, "p@example.be", now=utcnow() - timedelta(hours=2))
    assert result.outcome == "confirmed"
    booking = client.get(f"/en/courses/booking/{result.token}").get_data(as_text=True)
    assert f"/{result.token}/cancel" not in booking
    page = client.get(f"/en/courses/booking/{result.token}/cancel").get_data(as_text=True)
    assert "The session has already started" in page and 'type="submit"' not in page
