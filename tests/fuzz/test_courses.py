"""Hostile input on the courses: the list's filters, the sign-up form, the booking links.

A sign-up either stores one whole registration (with its private link and its e-mail) or
nothing; a made-up link finds nothing, whatever it holds.
"""
from __future__ import annotations

from urllib.parse import quote

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import strategies as st

from portal.courses.models import BookingLink, Registration
from portal.notify.models import OutboxMessage
from tests.courses.helpers import form_data, make_session, open_form, post_sign_up, token_of
from tests.fuzz.hostile import (
    ENCODINGS,
    body,
    check_page,
    count,
    hostile,
    mutate,
    registration_invariants,
    run,
    texts_of,
)

FIELDS = ("name", "email", "phone", "purpose", "consent", "submission_key", "csrf_token")


def test_sign_up_survives_hostile_fields(app: Flask, client: FlaskClient) -> None:
    session_id = make_session(app, capacity=3)
    made = {"n": 0}

    def check(value: tuple) -> None:
        pairs, encoding, lang, person = value
        _html, hidden = open_form(client, session_id, lang)
        touched = {name for name, _value in pairs}
        # A new address each time, unless the mutation chose one: otherwise every later
        # example is the "already booked" page.
        pairs = [(n, v.replace("amina@", f"amina{person}@") if n == "email" else v) for n, v in pairs]
        pairs += [(n, v) for n, v in hidden.items() if n not in touched]
        before = (count(app, Registration), count(app, BookingLink), count(app, OutboxMessage))
        response = client.post(f"/{lang}/courses/{session_id}", **body(pairs, encoding))
        check_page(response, texts_of(pairs))
        after = (count(app, Registration), count(app, BookingLink), count(app, OutboxMessage))
        registrations, links, mails = (a - b for a, b in zip(after, before, strict=True))
        if response.status_code == 303:
            assert "/courses/booking/" in response.headers["Location"]
            # New: one registration, its link, its e-mail. The same form again: a new link only.
            assert (registrations, links, mails) in ((1, 1, 1), (0, 1, 0)), (registrations, links, mails)
            made["n"] += registrations
            check_page(client.get(response.headers["Location"]), texts_of(pairs))
        else:
            # 200: "already booked" (a new link went to that address, nothing else changed).
            assert response.status_code in (200, 400, 413, 422), response.status_code
            assert registrations == 0 and links in (0, 1) and mails in (0, 1), (registrations, links, mails)
        registration_invariants(app)

    run(app, 40, 16, st.tuples(mutate(form_data(), FIELDS), st.sampled_from(ENCODINGS),
                               st.sampled_from(("fr", "nl", "en")), st.integers(0, 10**6)), check,
        ([("name", "<script>alert(1)</script> Lambert"), *form_data().items()], "multipart", "fr", 1),
        ([("name", "  Amina\t\r\n Lambert "), *form_data(phone="").items()], "urlencoded", "nl", 2))
    assert made["n"] >= 1


def test_course_pages_survive_hostile_addresses_and_filters(app: Flask, client: FlaskClient) -> None:
    session_id = make_session(app)
    token = token_of(post_sign_up(client, session_id))

    def check(value: tuple) -> None:
        text, template, filters = value
        path = template.format(id=session_id, token=token, x=quote(text, safe=""))
        for method in ("GET", "POST"):
            response = client.open(path, method=method)
            check_page(response, [text])
            assert response.status_code in (200, 400, 404, 405, 422), (path, method, response.status_code)
        query = "&".join(f"{n}={quote(v, safe='')}" for n, v in filters)
        listing = client.get(f"/fr/courses/?{query}")
        check_page(listing, [v for _n, v in filters])
        assert listing.status_code in (200, 400), listing.status_code

    run(app, 25, 10, st.tuples(
        hostile().filter(bool),
        st.sampled_from(("/fr/courses/{x}", "/nl/courses/{x}/calendar.ics", "/fr/courses/booking/{x}",
                         "/en/courses/booking/{x}/cancel", "/fr/courses/booking/{x}/accept",
                         "/nl/courses/booking/{x}/decline", "/fr/courses/booking/{token}/{x}",
                         "/fr/courses/{id}{x}", "/fr/courses/99999999999999999999{x}")),
        st.lists(st.tuples(st.sampled_from(("type", "municipality", "language", "date")), hostile()),
                 max_size=4)), check,
        ("99999999999999999999", "/fr/courses/{x}", [("date", "99999-01-01")]),
        ("2147483648", "/nl/courses/{x}/calendar.ics", [("type", "<script>alert(1)</script>")]))


def test_booking_buttons_survive_hostile_fields(app: Flask, client: FlaskClient) -> None:
    session_id = make_session(app)
    token = token_of(post_sign_up(client, session_id))

    def check(value: tuple) -> None:
        action, pairs, encoding = value
        before = count(app, Registration), count(app, BookingLink)
        response = client.post(f"/fr/courses/booking/{token}/{action}", **body(pairs, encoding))
        check_page(response, texts_of(pairs))
        assert response.status_code in (200, 303, 400, 409, 413), response.status_code
        assert (count(app, Registration), count(app, BookingLink)) == before
        registration_invariants(app)

    run(app, 15, 6, st.tuples(st.sampled_from(("cancel", "accept", "decline")),
                               mutate({"csrf_token": "x"}, ("csrf_token",)), st.sampled_from(ENCODINGS)),
        check)
