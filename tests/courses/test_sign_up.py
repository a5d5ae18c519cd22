"""Residents find a session, sign up, and are told the truth about their place."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.tokens import hash_secret
from tests.conftest import csrf_token
from tests.courses.helpers import (
    form_data,
    make_session,
    open_form,
    outbox,
    post_sign_up,
    registrations,
    sign_up_direct,
    token_in,
    token_of,
)


def test_home_shows_the_course_action(client: FlaskClient) -> None:
    html = client.get("/nl/").get_data(as_text=True)
    assert 'href="/nl/courses/"' in html


def test_list_shows_upcoming_sessions_with_places_left(app: Flask, client: FlaskClient) -> None:
    ixelles = make_session(app, capacity=12)
    make_session(app, course_type="cpr-aed", municipality="21015", language="nl",
                 venue="Gemeenschapscentrum De Kriekelaar", starts_in=timedelta(days=3))
    past = make_session(app, starts_in=timedelta(days=-2))
    sign_up_direct(app, ixelles, "a@example.be")
    html = client.get("/fr/courses/").get_data(as_text=True)
    assert "Premiers secours pour le permis de conduire" in html
    assert "Réanimation et défibrillateur (RCP-DEA)" in html
    assert "11 places libres" in html
    assert f'href="/fr/courses/{ixelles}"' in html and f'href="/fr/courses/{past}"' not in html
    # Soonest first: the CPR session (in 3 days) before the driving-licence one (in 10).
    assert html.index("De Kriekelaar") < html.index("Maison de quartier")
    assert "Schaerbeek" in html and "Ixelles" in html


@pytest.mark.parametrize(("query", "shown", "hidden"), [
    ("type=cpr-aed", "Kriekelaar", "Maison de quartier"),
    ("municipality=21009", "Maison de quartier", "Kriekelaar"),
    ("language=nl", "Kriekelaar", "Maison de quartier"),
    ("date={late}", "Maison de quartier", "Kriekelaar"),
    ("type=cpr-aed&language=fr", None, "Kriekelaar"),
])
def test_filters(app: Flask, client: FlaskClient, query: str, shown: str | None, hidden: str) -> None:
    make_session(app)  # Ixelles, French, driving licence, in 10 days
    make_session(app, course_type="cpr-aed", municipality="21015", language="nl",
                 venue="Gemeenschapscentrum De Kriekelaar", starts_in=timedelta(days=3))
    from portal.db import utcnow

    late = (utcnow() + timedelta(days=6)).date().isoformat()
    response = client.get(f"/en/courses/?{query.format(late=late)}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    if shown:
        assert shown in html
    else:
        assert "No session matches your choice" in html
    assert hidden not in html
    assert 'method="get"' in html and 'type="date"' in html  # works without JavaScript
    if "type=cpr-aed" in query:
        assert '<option selected value="cpr-aed">' in html or 'value="cpr-aed" selected' in html


def test_bad_filter_values_are_ignored_with_a_message(app: Flask, client: FlaskClient) -> None:
    make_session(app)
    response = client.get("/en/courses/?municipality=99999&date=31/12/2026&type=<script>")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Maison de quartier" in html  # the list is not emptied by a bad value
    assert "Choose one of the options." in html and "2026-03-31" in html
    assert "<script>" not in html


def test_session_page_shows_details_in_the_page_language(app: Flask, client: FlaskClient) -> None:
    session_id = make_session(app, days=2, course_type="basic-first-aid", hours=8)
    html = client.get(f"/nl/courses/{session_id}").get_data(as_text=True)
    assert "Basiscursus eerste hulp" in html
    assert "Breng uw identiteitskaart mee." in html
    assert "Rue du Trône 12, 1050 Ixelles" in html and "Elsene" in html
    assert html.count("<time datetime=") == 2  # both dates
    for name in ("name", "email", "phone", "purpose", "consent"):
        assert f'name="{name}"' in html
    assert len(re.findall(r'<(?:input|select|textarea)[^>]*name="(?!csrf_token|submission_key)',
                          html)) == 6  # five fields: the purpose is two radio buttons
    assert '<label for="name">' in html and '<label for="email">' in html


def test_sign_up_confirmed(app: Flask, client: FlaskClient) -> None:
    session_id = make_session(app, capacity=3)
    response = post_sign_up(client, session_id, "fr")
    token = token_of(response)
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Confirmée" in html and "Votre inscription est confirmée." in html and "Maison de quartier" in html
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    [registration] = registrations(app, session_id)
    assert (registration.status, registration.name, registration.email, registration.language,
            registration.purpose, registration.phone) == (
        "confirmed", "Amina Lambert", "amina@example.be", "fr", "driving-licence", "0470 12 34 56")
    assert len(token) * 6 >= 128
    [message] = outbox(app)
    assert message.recipient == "amina@example.be" and message.language == "fr"
    assert "Premiers secours pour le permis de conduire" in message.subject
    assert [a["filename"] for a in message.attachments] == ["course.ics"]
    assert f"/fr/courses/booking/{token_in(message.body, 'cancel')}/cancel" in message.body
    assert "Apportez une pièce d'identité." in message.body


def test_link_secrets_are_stored_hashed(app: Flask, client: FlaskClient) -> None:
    session_id = make_session(app)
    token = token_of(post_sign_up(client, session_id))
    from portal.courses.models import BookingLink
    from portal.extensions import db

    with app.app_context():
        hashes = [link.token_hash for link in db.session.query(BookingLink)]
    assert hash_secret(token) in hashes and token not in hashes
    assert client.get("/fr/courses/booking/not-a-real-token").status_code == 404


def test_messages_use_the_sign_up_language(app: Flask, client: FlaskClient) -> None:
    session_id = make_session(app, capacity=1)
    token_of(post_sign_up(client, session_id, "nl", email="jan@example.be"))
    token_of(post_sign_up(client, session_id, "en", email="kim@example.be"))
    [jan] = outbox(app, "jan@example.be")
    [kim] = outbox(app, "kim@example.be")
    assert jan.language == "nl" and kim.language == "en"
    # The course's name is data per language, and the dates are written by Babel in Dutch.
    assert "Eerste hulp voor het rijbewijs" in jan.subject
    assert re.search(r"(maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag)", jan.body)
    assert "/nl/courses/booking/" in jan.body and "Breng uw identiteitskaart mee." in jan.body
    assert "First aid for the driving licence" in kim.subject and "/en/courses/booking/" in kim.body
    assert [r.language for r in registrations(app, session_id)] == ["nl", "en"]


def test_csrf_required(app: Flask, client: FlaskClient) -> None:
    session_id = make_session(app)
    response = client.post(f"/fr/courses/{session_id}", data=form_data())
    assert response.status_code in (400, 422)
    assert registrations(app) == [] and outbox(app) == []


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "", "Give your name."),
    ("email", "not-an-email", "valid e-mail address"),
    ("phone", "call me", "phone number"),
    ("purpose", "holiday", "Choose why you take the course."),
    ("consent", None, "You must accept the privacy notice"),
])
def test_bad_input_comes_back_next_to_the_field(app: Flask, client: FlaskClient, field: str,
                                                value: str | None, message: str) -> None:
    session_id = make_session(app)
    overrides = {field: value}
    if field != "name":
        overrides["name"] = "<b>Zoë</b> \"O'Brien\""
    response = post_sign_up(client, session_id, "en", **overrides)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html and "has-error" in html
    if field != "name":
        assert "&lt;b&gt;Zoë&lt;/b&gt; &#34;O&#39;Brien&#34;" in html  # kept, escaped
        assert "<b>Zoë</b>" not in html
    assert registrations(app) == []


def test_double_submit_makes_one_registration(app: Flask, client: FlaskClient) -> None:
    session_id = make_session(app)
    _html, hidden = open_form(client, session_id)
    first = client.post(f"/fr/courses/{session_id}", data={**hidden, **form_data()})
    second = client.post(f"/fr/courses/{session_id}", data={**hidden, **form_data()})
    assert first.status_code == second.status_code == 303
    assert len(registrations(app)) == 1 and len(outbox(app)) == 1
    assert client.get(second.headers["Location"]).status_code == 200


def test_one_active_booking_per_email_per_type(app: Flask, client: FlaskClient) -> None:
    first = make_session(app)
    other_same_type = make_session(app, municipality="21004", starts_in=timedelta(days=20))
    other_type = make_session(app, course_type="cpr-aed")
    token_of(post_sign_up(client, first, email="amina@example.be"))
    stranger = post_sign_up(client, other_same_type, "nl", email="AMINA@Example.BE",
                            name="Someone Else")
    html = stranger.get_data(as_text=True)
    assert stranger.status_code == 200
    assert "U hebt al een inschrijving voor deze cursus" in html
    assert "Maison de quartier" not in html and "Amina" not in html  # nothing about the booking
    assert "booking/" not in html
    assert [r.session_id for r in registrations(app)] == [first]
    mails = outbox(app, "amina@example.be")
    assert len(mails) == 2
    link_mail = mails[1]
    assert link_mail.language == "fr"  # the booking's language, not the stranger's page
    assert client.get(f"/fr/courses/booking/{token_in(link_mail.body)}").status_code == 200
    assert token_in(link_mail.body, "cancel") == token_in(link_mail.body)
    # Again at once: the same answer, but no second e-mail (no flooding someone's mailbox).
    post_sign_up(client, other_same_type, email="amina@example.be")
    assert len(outbox(app, "amina@example.be")) == 2
    # Another course type is another booking.
    token_of(post_sign_up(client, other_type, email="amina@example.be"))
    assert len(registrations(app)) == 2


def test_waiting_list_with_position(app: Flask, client: FlaskClient) -> None:
    session_id = make_session(app, capacity=2)
    for n in range(2):
        sign_up_direct(app, session_id, f"p{n}@example.be")
    page = client.get(f"/en/courses/{session_id}").get_data(as_text=True)
    assert "This session is full." in page and "Join the waiting list" in page
    first = post_sign_up(client, session_id, "en", email="w1@example.be")
    second = post_sign_up(client, session_id, "en", email="w2@example.be")
    html = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "You are number 2 on the waiting list." in html
    html = client.get(first.headers["Location"]).get_data(as_text=True)
    assert "You are number 1 on the waiting list." in html
    statuses = [(r.email, r.status) for r in registrations(app, session_id)]
    assert statuses[2:] == [("w1@example.be", "waiting"), ("w2@example.be", "waiting")]
    [mail] = outbox(app, "w2@example.be")
    assert "Waiting list" in mail.subject and "number 2 on the waiting list" in mail.body
    assert mail.attachments == []


def test_full_session_suggests_nearest_sessions_with_places(app: Flask, client: FlaskClient) -> None:
    full = make_session(app, capacity=1, municipality="21009", language="fr")
    elsewhere = make_session(app, municipality="21004", language="fr", venue="Salle Ville",
                             starts_in=timedelta(days=5))
    same_place = make_session(app, municipality="21009", language="fr", venue="Salle Ixelles",
                              starts_in=timedelta(days=30))
    dutch_same_place = make_session(app, municipality="21009", language="nl",
                                    venue="Zaal Elsene", starts_in=timedelta(days=4))
    other_full = make_session(app, municipality="21009", language="fr", venue="Salle Pleine",
                              capacity=1)
    make_session(app, course_type="cpr-aed", municipality="21009", venue="Autre cours")
    sign_up_direct(app, full, "x@example.be")
    sign_up_direct(app, other_full, "y@example.be")
    html = client.get(f"/fr/courses/{full}").get_data(as_text=True)
    section = html[html.index('id="suggestions-title"'):]
    assert "Salle Pleine" not in section and "Autre cours" not in section
    order = [section.index(v) for v in ("Salle Ixelles", "Zaal Elsene", "Salle Ville")]
    assert order == sorted(order)  # same municipality and language, then same place, then date
    for other in (elsewhere, same_place, dutch_same_place):
        assert f'href="/fr/courses/{other}"' in section


def test_cancelled_session_takes_no_sign_up(app: Flask, client: FlaskClient) -> None:
    session_id = make_session(app)
    _html, hidden = open_form(client, session_id)
    from portal.courses import organising
    from portal.extensions import db

    with app.app_context():
        organising.cancel_session(session_id)
        db.session.commit()
    response = client.post(f"/fr/courses/{session_id}", data={**hidden, **form_data()})
    assert response.status_code == 409
    assert registrations(app) == []
    assert 'name="email"' not in client.get(f"/fr/courses/{session_id}").get_data(as_text=True)
    assert f'href="/fr/courses/{session_id}"' not in client.get("/fr/courses/").get_data(as_text=True)


def test_unknown_session_is_404(client: FlaskClient) -> None:
    assert client.get("/fr/courses/999999").status_code == 404
    assert client.post("/fr/courses/999999", data={}).status_code in (400, 404)


def test_page_links_its_other_languages(app: Flask, client: FlaskClient) -> None:
    session_id = make_session(app)
    html = client.get(f"/nl/courses/{session_id}").get_data(as_text=True)
    assert '<html lang="nl">' in html
    assert f'<link rel="alternate" hreflang="fr" href="http://127.0.0.1:5000/fr/courses/{session_id}">' in html
    # The only script is the optional one that keeps typed text across the language switch.
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/js/keep-typed.js" defer>']
    assert csrf_token(html)


def test_organiser_text_is_escaped(app: Flask, client: FlaskClient) -> None:
    session_id = make_session(app, venue="<script>alert(1)</script>",
                              notes={"fr": "<img src=x onerror=alert(1)>"})
    for path in ("/fr/courses/", f"/fr/courses/{session_id}"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "<img src=x" not in client.get(f"/fr/courses/{session_id}").get_data(as_text=True)
