"""Helpers: sessions made through the services, sign-ups sent as a browser would."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.courses import organising, signup
from portal.courses.models import CourseSession, Registration
from portal.db import utcnow
from portal.extensions import db
from tests.conftest import csrf_token
from tests.outbox import Mail, mails


def make_session(app: Flask, *, course_type: str = "driving-licence", capacity: int = 12,
                 starts_in: timedelta = timedelta(days=10), municipality: str = "21009",
                 language: str = "fr", days: int = 1, venue: str = "Maison de quartier",
                 address: str = "Rue du Trône 12, 1050 Ixelles", notes: dict[str, str] | None = None,
                 hours: int = 4) -> int:
    """A session through ``organising.create_session``; returns its id."""
    start = (utcnow() + starts_in).replace(second=0, microsecond=0)
    dates = [(start + timedelta(days=7 * i), start + timedelta(days=7 * i, hours=hours))
             for i in range(days)]
    with app.app_context():
        session = organising.create_session(organising.SessionDraft(
            course_type_code=course_type, language=language, venue_name=venue, address=address,
            municipality_nis=municipality, capacity=capacity, dates=dates,
            notes=notes if notes is not None else {"fr": "Apportez une pièce d'identité.",
                                                   "nl": "Breng uw identiteitskaart mee.",
                                                   "en": "Bring an identity document."}))
        db.session.commit()
        return session.id


def starts_at(app: Flask, session_id: int) -> datetime:
    with app.app_context():
        return db.session.get(CourseSession, session_id).starts_at


def open_form(client: FlaskClient, session_id: int, lang: str = "fr") -> tuple[str, dict[str, str]]:
    response = client.get(f"/{lang}/courses/{session_id}")
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]*)"', html)
    return html, {"csrf_token": csrf_token(html), "submission_key": key.group(1) if key else ""}


def form_data(**overrides: Any) -> dict[str, Any]:
    data = {"name": "Amina Lambert", "email": "amina@example.be", "phone": "0470 12 34 56",
            "purpose": "driving-licence", "consent": "y", **overrides}
    return {k: v for k, v in data.items() if v is not None}


def post_sign_up(client: FlaskClient, session_id: int, lang: str = "fr", **overrides: Any):
    _html, hidden = open_form(client, session_id, lang)
    return client.post(f"/{lang}/courses/{session_id}", data={**hidden, **form_data(**overrides)})


def token_of(response) -> str:
    """The private link's secret from a sign-up's redirect."""
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    match = re.search(r"/courses/booking/([A-Za-z0-9_-]+)", response.headers["Location"])
    assert match
    return match.group(1)


def token_in(body: str, action: str = "") -> str:
    """The secret of a link in an e-mail body (``action``: "", "cancel", "accept", "decline")."""
    suffix = f"/{action}" if action else r"(?:\s|$)"
    match = re.search(rf"/courses/booking/([A-Za-z0-9_-]+){suffix}", body)
    assert match, body
    return match.group(1)


def registrations(app: Flask, session_id: int | None = None) -> list[Registration]:
    with app.app_context():
        query = select(Registration).order_by(Registration.id)
        if session_id is not None:
            query = query.where(Registration.session_id == session_id)
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        return rows


def outbox(app: Flask, recipient: str | None = None) -> list[Mail]:
    """The messages queued so far (to ``recipient``), rendered as the worker will send them."""
    return mails(app, recipient)


def sign_up_direct(app: Flask, session_id: int, email: str, lang: str = "fr",
                   name: str = "Test Person", now: datetime | None = None) -> signup.SignUpResult:
    """A sign-up through the service, committed (fast set-up for list states)."""
    with app.app_context():
        result = signup.sign_up(session_id, signup.SignUp(
            name=name, email=email, purpose="general", language=lang), now=now)
        db.session.commit()
        if result.registration is not None:
            db.session.refresh(result.registration)
            db.session.expunge(result.registration)
        return result


def confirm(client: FlaskClient, token: str, action: str, lang: str = "fr",
            csrf: str | None = None):
    """GET the confirmation page of an action, then press its button.

    ``csrf``: a token from an earlier page, to press a button the page no longer shows (a
    second tap, a form kept open in another tab).
    """
    page = client.get(f"/{lang}/courses/booking/{token}/{action}")
    assert page.status_code == 200
    return client.post(f"/{lang}/courses/booking/{token}/{action}",
                       data={"csrf_token": csrf or csrf_token(page.get_data(as_text=True))})
