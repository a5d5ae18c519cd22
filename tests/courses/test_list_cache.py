"""The course list is cached per worker, and still shows every booking at once.

Two apps on one database stand for two gunicorn workers: each has its own page cache, and what
one of them stores must show on the other's next page.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, template_rendered
from flask.testing import FlaskClient

from portal.courses import listing, organising
from portal.courses.models import CourseSession
from portal.db import utcnow
from portal.extensions import db
from tests.courses.helpers import (
    confirm,
    form_data,
    make_session,
    open_form,
    post_sign_up,
    registrations,
    sign_up_direct,
    token_of,
)
from tests.workers import another_worker


@pytest.fixture
def other_worker(app: Flask, tmp_path: Path, geo_cache: Path) -> Iterator[Flask]:
    """A second portal process on the same database, with a page cache of its own."""
    with another_worker(app, tmp_path, geo_cache) as other:
        yield other


def places_left(app: Flask, session_id: int, lang: str = "fr") -> str:
    html = app.test_client().get(f"/{lang}/courses/").get_data(as_text=True)
    card = re.search(rf'href="/{lang}/courses/{session_id}".*?</li>', html, re.S)
    assert card, html
    found = re.search(r'class="places[^"]*">([^<]*)<', card.group(0))
    assert found
    return found.group(1)


def renders(app: Flask, url: str) -> int:
    """How many templates the page rendered (0: it came from the cache)."""
    seen: list[Any] = []

    def record(sender: Flask, template: Any, context: Any, **extra: Any) -> None:
        seen.append(template)

    with template_rendered.connected_to(record, app):
        assert app.test_client().get(url).status_code == 200
    return len(seen)


def test_the_list_is_rendered_once_while_nothing_changes(app: Flask) -> None:
    make_session(app, capacity=12)
    assert renders(app, "/fr/courses/") > 0
    assert renders(app, "/fr/courses/") == 0
    assert renders(app, "/nl/courses/") > 0  # one page per language
    # A filtered list is rendered for its query every time.
    assert renders(app, "/fr/courses/?language=fr") > 0


def test_sign_up_and_cancel_show_at_once_on_another_worker(app: Flask, other_worker: Flask) -> None:
    session_id = make_session(app, capacity=12)
    assert places_left(other_worker, session_id) == "12 places libres"
    assert places_left(app, session_id) == "12 places libres"

    client = app.test_client()
    token = token_of(post_sign_up(client, session_id))
    assert places_left(other_worker, session_id) == "11 places libres"
    assert places_left(app, session_id) == "11 places libres"

    assert confirm(client, token, "cancel").status_code == 303
    assert places_left(other_worker, session_id) == "12 places libres"
    assert places_left(app, session_id) == "12 places libres"


def test_full_session_and_offers_show_at_once(app: Flask, other_worker: Flask) -> None:
    session_id = make_session(app, capacity=1)
    assert places_left(other_worker, session_id) == "1 place libre"
    first = sign_up_direct(app, session_id, "a@example.be")
    assert places_left(other_worker, session_id).startswith("Complet")
    sign_up_direct(app, session_id, "b@example.be")  # the second one waits
    assert places_left(other_worker, session_id).startswith("Complet")
    # The first one cancels: the place is offered to the second, so the session stays full,
    # but the statuses changed and every worker renders its list again.
    assert first.token is not None
    assert confirm(app.test_client(), first.token, "cancel").status_code == 303
    with app.app_context():
        statuses = [r.status for r in db.session.get(CourseSession, session_id).registrations]
    assert statuses == ["cancelled", "offered"]
    assert renders(other_worker, "/fr/courses/") > 0
    assert places_left(other_worker, session_id).startswith("Complet")


def test_an_organiser_cancelling_the_session_takes_it_off_every_list(
        app: Flask, other_worker: Flask) -> None:
    session_id = make_session(app)
    assert f'href="/fr/courses/{session_id}"' in other_worker.test_client().get(
        "/fr/courses/").get_data(as_text=True)
    with app.app_context():
        organising.cancel_session(session_id)
        db.session.commit()
    assert f'href="/fr/courses/{session_id}"' not in other_worker.test_client().get(
        "/fr/courses/").get_data(as_text=True)


def version(app: Flask, now: datetime) -> tuple[object, ...]:
    with app.app_context():
        return listing.list_version(now)


def test_the_version_changes_when_the_next_session_starts(app: Flask) -> None:
    make_session(app, starts_in=timedelta(days=2))
    later = make_session(app, starts_in=timedelta(days=5))
    now = utcnow()
    today = version(app, now)
    assert version(app, now + timedelta(days=1)) == today
    assert version(app, now + timedelta(days=3)) != today
    # A new session, and any change to one, changes it too.
    make_session(app, starts_in=timedelta(days=9))
    changed = version(app, now)
    assert changed != today
    sign_up_direct(app, later, "c@example.be")
    assert version(app, now) != changed


def test_the_session_page_is_cached_with_a_token_and_key_per_visitor(
        app: Flask, other_worker: Flask) -> None:
    session_id = make_session(app, capacity=2)
    url = f"/fr/courses/{session_id}"
    assert renders(app, url) > 0
    assert renders(app, url) == 0
    first, second = app.test_client(), app.test_client()
    html_first, hidden_first = open_form(first, session_id)
    html_second, hidden_second = open_form(second, session_id)
    assert hidden_first["csrf_token"] != hidden_second["csrf_token"]
    assert hidden_first["submission_key"] != hidden_second["submission_key"]
    assert "\x00" not in html_first + html_second
    assert "2 places libres" in html_second
    # Each visitor's token is theirs and works; the booking shows at once on the other worker.
    response = first.post(url, data={**hidden_first, **form_data()})
    assert response.status_code == 303
    page = other_worker.test_client().get(url).get_data(as_text=True)
    assert "1 place libre" in page
    response = second.post(url, data={**hidden_second, **form_data(email="b@example.be")})
    assert response.status_code == 303
    page = other_worker.test_client().get(url).get_data(as_text=True)
    assert "Cette session est complète" in page and "1 place libre" not in page
    assert len(registrations(app, session_id)) == 2


def test_a_session_page_for_no_session_is_a_404(client: FlaskClient) -> None:
    assert client.get("/fr/courses/999999").status_code == 404
    assert client.get("/fr/courses/999999").status_code == 404
