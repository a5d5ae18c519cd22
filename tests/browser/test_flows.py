"""The flows of issue 14 on a 390 px phone, in the three languages: the compact emergency line,
the tracking page after "it is over", waiting for one session and taking a place in another,
the quick exit of a sensitive report, the safe contact honoured in the e-mail, and typed text
that survives the language switch. Each page met on the way passes axe.

With ``PORTAL_SCREENSHOTS=<folder>`` the tests also save what they saw, to be looked at.
"""
from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import LANGS, LiveServer
from tests.browser.live import add_course_session
from tests.browser.portal_pages import COURSE_SUBMIT, fill_report, fill_sign_up, submit
from tests.browser.test_courses import outbox_for

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

#: The compact emergency line's most height on a phone (the full question is on the report's start).
MAX_BANNER_PX = 64
NEUTRAL = "https://www.google.be/"


def shot(page: Any, name: str) -> None:
    folder = os.environ.get("PORTAL_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def assert_axe_clean(page: Any) -> None:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    assert not result.violations_count, f"{page.url}:\n{result.generate_report()}"


@pytest.mark.parametrize("lang", LANGS)
def test_the_emergency_line_is_one_compact_line(context_factory: Any, lang: str) -> None:
    page = context_factory(lang).new_page()
    for path in ("/courses/", "/report/categories", "/", "/track/"):
        page.goto(f"/{lang}{path}")
        box = page.locator("aside.emergency").bounding_box()
        assert box is not None and box["height"] <= MAX_BANNER_PX, (path, box)
        for number in ("112", "101"):
            link = page.locator(f"aside.emergency a[href='tel:{number}']").bounding_box()
            assert link and link["height"] >= 44 and link["width"] >= 44, (number, link)
            assert link["y"] - box["y"] < MAX_BANNER_PX  # on the same single line
    shot(page, f"banner-{lang}")
    page.goto(f"/{lang}/report/")
    assert page.locator("aside.emergency").count() == 0
    assert page.locator("#danger-question").is_visible()


@pytest.mark.parametrize(("lang", "button", "expected"), [
    ("fr", "reporter_resolved", "clôturé comme résolu"),
    ("nl", "reporter_no_longer_needed", "ze is nu afgesloten"),
    ("en", "reporter_resolved", "closed as resolved"),
])
def test_tracking_says_what_happened_and_lands_at_the_message(
        context_factory: Any, lang: str, button: str, expected: str) -> None:
    page = context_factory(lang).new_page()
    page.goto(f"/{lang}/report/new/vandalism")
    fill_report(page, lang, "vandalism", "1060")
    page.set_input_files("#photos", files=[{"name": "tag.png", "mimeType": "image/png",
                                            "buffer": _png()}])
    submit(page)
    with page.expect_navigation(wait_until="load"):
        page.click(".tracking-link a")
    thumbnails = page.locator(".photo-thumbs img")
    assert thumbnails.count() == 1
    # A lazy image may still be on its way when the page's load event fires: wait for it to be
    # decoded (the context's 90 s timeout only stops a hung page).
    thumbnails.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnails.element_handle())
    assert {"nl": "Sint-Gillis"}.get(lang, "Saint-Gilles") in page.inner_text(".facts")
    before = page.inner_text(".facts dd strong")
    submit(page, f"button[name=kind][value={button}]")
    assert page.url.endswith("#messages")
    message = page.locator("#messages .flash")
    assert expected in message.inner_text().replace("\u00a0", " ")
    box = message.bounding_box()
    # In view (its top at the top of the window, give or take a sub-pixel), not the page's top.
    assert box is not None and -1 <= box["y"] < 844
    assert page.evaluate("window.scrollY") > 0
    assert page.inner_text(".facts dd strong") != before
    assert page.locator("button[name=kind]").count() == 0
    shot(page, f"tracking-done-{lang}")
    assert_axe_clean(page)


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (80, 60), (20, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def _fill_session(live_server: LiveServer, session_id: int) -> None:
    from portal.courses import signup
    from portal.extensions import db

    with live_server.app.app_context():
        result = signup.sign_up(session_id, signup.SignUp(
            name="Someone Else", email=f"holder-{uuid.uuid4().hex[:8]}@example.org",
            purpose="general", language="fr"))
        assert result.outcome == "confirmed"
        db.session.commit()
        db.session.remove()


@pytest.mark.parametrize("lang", LANGS)
def test_waiting_for_one_session_then_a_place_in_another(context_factory: Any,
                                                         live_server: LiveServer, lang: str) -> None:
    # In Evere, where no other test of the shared live server puts a session: the page suggests
    # the same municipality's sessions first, three at most.
    full = add_course_session(live_server, language=lang, capacity=1, venue=f"Salle pleine {lang}",
                              municipality="21006")
    _fill_session(live_server, full)
    other = add_course_session(live_server, language=lang, capacity=8, venue=f"Salle libre {lang}",
                               days=12, municipality="21006")
    email = f"waits-{uuid.uuid4().hex[:10]}@example.org"
    page = context_factory(lang).new_page()
    page.goto(f"/{lang}/courses/{full}")
    # The waiting-list form is in its own section, after the sessions with places.
    assert page.locator("section.waiting-list form").count() == 1
    assert page.locator("section.suggestions form").count() == 0
    order = page.evaluate("""() => {
        const s = document.querySelector('section.suggestions');
        const w = document.querySelector('section.waiting-list');
        return !!s && !!(s.compareDocumentPosition(w) & Node.DOCUMENT_POSITION_FOLLOWING); }""")
    assert order
    shot(page, f"course-full-{lang}")
    assert_axe_clean(page)
    fill_sign_up(page, "Robin Peeters", email)
    submit(page, COURSE_SUBMIT)
    assert "/courses/booking/" in page.url
    # The other session, the one the full page suggests: a place, not "already booked".
    page.goto(f"/{lang}/courses/{full}")
    with page.expect_navigation(wait_until="load"):
        page.click(f"section.suggestions a[href$='/courses/{other}']")
    fill_sign_up(page, "Robin Peeters", email)
    submit(page, COURSE_SUBMIT)
    assert re.search(r"/courses/booking/[^/?#]+\?new=1", page.url), page.url
    assert page.locator(".booking-confirmed").count() == 1
    shot(page, f"course-place-elsewhere-{lang}")
    confirmed = outbox_for(live_server, email)[-1]
    assert confirmed.language == lang
    said = {"fr": "vous n'y figurez plus", "nl": "daar staat u niet meer op",
            "en": "you are no longer on it"}[lang]
    assert said in confirmed.body


@pytest.mark.parametrize(("lang", "js"), [("fr", True), ("nl", True), ("en", False)])
def test_quick_exit_replaces_the_page(context_factory: Any, lang: str, js: bool) -> None:
    context = context_factory(lang, js=js)
    context.route(NEUTRAL + "**", lambda route: route.fulfill(
        status=200, content_type="text/html", body="<!doctype html><title>Weather</title><p>Sunny"))
    page = context.new_page()
    page.goto(f"/{lang}/report/categories")
    page.goto(f"/{lang}/report/new/school-racket")
    exit_link = page.locator("a.quick-exit")
    assert exit_link.is_visible() and exit_link.get_attribute("href") == NEUTRAL
    box = exit_link.bounding_box()
    assert box and box["height"] >= 44 and box["y"] < 200
    shot(page, f"quick-exit-{lang}-{'js' if js else 'nojs'}")
    if js:  # axe runs as a script in the page: it is checked on the pages with JavaScript on
        assert_axe_clean(page)
    page.fill("#description", "Ils me prennent mon argent.")
    if js:
        with page.expect_navigation():
            page.locator("#description").press("Escape")
        assert page.url == NEUTRAL
        page.go_back()
        # Back leads to the page before the form: the form itself was replaced.
        assert page.url.endswith(f"/{lang}/report/categories"), page.url
    else:
        with page.expect_navigation():
            exit_link.click()
        assert page.url == NEUTRAL


@pytest.mark.parametrize("lang", LANGS)
def test_the_safe_contact_choice_is_honoured_in_the_e_mail(context_factory: Any,
                                                            live_server: LiveServer, lang: str) -> None:
    email = f"pupil-{uuid.uuid4().hex[:10]}@example.org"
    page = context_factory(lang).new_page()
    page.goto(f"/{lang}/report/new/school-racket")
    fill_report(page, lang, "school-racket")
    page.check("input[name=safe_contact][value=email]")
    page.fill("#email", email)
    page.fill("#phone", "0470 12 34 56")
    shot(page, f"safe-contact-{lang}")
    submit(page)
    assert page.locator(".reference").count() == 1, page.inner_text("main")[:2000]
    assert page.locator("a.quick-exit").count() == 1
    (received,) = outbox_for(live_server, email)
    assert received.subject == {"fr": "Votre message au portail", "nl": "Uw bericht aan het portaal",
                                "en": "Your message to the portal"}[lang]
    from sqlalchemy import select

    from portal.extensions import db
    from portal.reports.models import Report

    with live_server.app.app_context():
        report = db.session.scalar(select(Report).where(Report.email == email))
        assert report.safe_contact == "email" and report.phone is None
        db.session.remove()


@pytest.mark.parametrize(("lang", "other"), [("fr", "nl"), ("nl", "en"), ("en", "fr")])
def test_switching_language_keeps_what_was_typed(context_factory: Any, lang: str, other: str) -> None:
    page = context_factory(lang).new_page()
    page.goto(f"/{lang}/report/new/vandalism")
    page.fill("#description", "Tag sur la porte — 3 fois cette semaine")
    page.fill("#postal_code", "1060")
    with page.expect_navigation(wait_until="load"):
        page.click(f".langs a[hreflang={other}]")
    assert page.get_attribute("html", "lang") == other
    assert page.input_value("#description") == "Tag sur la porte — 3 fois cette semaine"
    assert page.input_value("#postal_code") == "1060"
    # Restored once, then forgotten.
    assert page.evaluate(
        "() => Object.keys(sessionStorage).filter(k => k.startsWith('keep-typed:')).length") == 0
