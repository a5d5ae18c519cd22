"""Issue 16, courses, in the browser: an organiser checks people in date by date on a phone
and on a desk screen, in French and Dutch; the attestation follows the session's rule: one
date of three gives none under the default rule ("every date"); the organiser switches to
"the dates attended" and it lists that one date (4 hours); once all are attended, the three
(12 hours)."""
from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, PHONE, LiveServer
from tests.browser.measure import MIN_TARGET, OVERFLOW_JS, SMALL_TARGETS_JS, TARGETS
from tests.staff import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-staff")]
#: Where to keep screenshots to look at (none when unset).
SHOTS = os.environ.get("PORTAL_SCREENSHOTS")
PRESENT = {"fr": "Présent", "nl": "Aanwezig"}
DAY = {"fr": "Jour", "nl": "Dag"}
ATTESTATION = {"fr": "Attestation de participation", "nl": "Deelnameattest"}
HOURS = {"fr": "{} h", "nl": "{} u"}


def _session_with_people(live_server: LiveServer, lang: str) -> tuple[str, int, int]:
    """An organiser, a three-date session of theirs and one confirmed participant."""
    from datetime import datetime, time, timedelta

    from portal.accounts.services import create_user
    from portal.courses import organising, signup
    from portal.db import utcnow
    from portal.extensions import db
    from portal.times import BRUSSELS

    email = f"organiser-{uuid.uuid4().hex[:8]}@courses.example"
    day = (utcnow() + timedelta(days=3)).astimezone(BRUSSELS).date()
    dates = [(datetime.combine(day + timedelta(days=i), time(9), BRUSSELS),
              datetime.combine(day + timedelta(days=i), time(13), BRUSSELS)) for i in range(3)]
    with live_server.app.app_context():
        organiser = create_user(email, "Olivia Organiser", "organiser", PASSWORD, language=lang)
        db.session.flush()
        session = organising.create_session(organising.SessionDraft(
            course_type_code="basic-first-aid", language=lang, venue_name="Salle des trois jours",
            address="Rue Royale 11, 1000 Bruxelles", municipality_nis="21004", capacity=8,
            dates=dates, organiser_id=organiser.id))
        db.session.flush()
        result = signup.sign_up(session.id, signup.SignUp(
            name="Jan Peeters", email=f"jan-{uuid.uuid4().hex[:6]}@example.be", purpose="general",
            language=lang))
        db.session.commit()
        assert result.registration is not None
        ids = (int(session.id), int(result.registration.id))
        db.session.remove()
    return email, *ids


def _check_page(page: Any, name: str, width: int) -> None:
    """No horizontal scrolling of the page, every target at least 44 px; a screenshot if asked."""
    overflow = page.evaluate(OVERFLOW_JS, width)
    assert overflow["scrollWidth"] <= width, overflow
    assert page.evaluate(SMALL_TARGETS_JS, [TARGETS, MIN_TARGET]) == []
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_check_in_per_date_and_the_attestation_rule(context_factory: Any, live_server: LiveServer,
                                                    lang: str, viewport: dict[str, int]) -> None:
    email, session_id, jan = _session_with_people(live_server, lang)
    page = context_factory(lang, viewport=viewport, js=False, mobile=viewport == PHONE).new_page()
    page.goto(f"/{lang}/manage/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation(wait_until="load"):
        page.click("main button[type=submit]")
    base = f"/{lang}/manage/courses/{session_id}"
    page.goto(f"{base}/check-in")
    tag = f"check-in-{lang}-{viewport['width']}"
    for number in (1, 2, 3):
        with page.expect_navigation(wait_until="load"):
            page.click(f"nav .checkin-days a:has-text('{DAY[lang]} {number}')")
        assert page.get_attribute(".checkin-days a[aria-current=page]", "href").startswith(
            f"{base}/check-in?day=")
        with page.expect_navigation(wait_until="load"):
            page.click(f"#r{jan} button.checkin-present")
        assert page.inner_text(f"#r{jan} .checkin-state") == PRESENT[lang]
        cells = page.locator(".attendance-grid tbody tr td").all_inner_texts()
        assert cells == [PRESENT[lang]] * number + ["–"] * (3 - number)
        if number == 1:
            _check_page(page, f"{tag}-day1", viewport["width"])
            # One date of three: no attestation under the default rule.
            page.goto(base)
            assert page.locator(f"#r{jan} .attestation-link").count() == 0
            # The organiser chooses "the dates attended": an attestation of that one date.
            page.goto(f"{base}/edit")
            assert page.is_checked('input[name="attestation_rule"][value="all_days"]')
            page.check('input[name="attestation_rule"][value="days_attended"]')
            with page.expect_navigation(wait_until="load"):
                page.click(".session-form .button-row button[type=submit]")
            _open_attestation(page, base, jan, lang, dates=1, hours=4)
            page.goto(f"{base}/check-in")
    _check_page(page, f"{tag}-day3", viewport["width"])
    _open_attestation(page, base, jan, lang, dates=3, hours=12)
    _check_page(page, f"attestation-{lang}-{viewport['width']}", viewport["width"])


def _open_attestation(page: Any, base: str, registration: int, lang: str, dates: int, hours: int) -> None:
    """From the session's page, the person's attestation: the dates it states and their hours."""
    page.goto(base)
    with page.expect_navigation(wait_until="load"):
        page.click(f"#r{registration} .attestation-link")
    document = page.inner_text("article.attestation")
    assert ATTESTATION[lang] in document and "Jan Peeters" in document
    assert page.locator("article.attestation .course-dates li").count() == dates
    assert page.locator("article.attestation dl.facts dd").nth(1).inner_text() == HOURS[lang].format(hours)
