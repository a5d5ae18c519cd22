"""Course sessions in the browser: a resident signs up on a phone, gets the confirmation e-mail
(with its .ics) in the outbox, cancels from the link in that e-mail, and the place is free again;
and every course page a resident sees passes axe, the 44 px targets, 200% zoom and 60 KB.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from tests.browser.conftest import LANGS, PHONE, LiveServer, new_context
from tests.browser.live import add_course_session
from tests.browser.measure import (
    MIN_TARGET,
    OVERFLOW_JS,
    SMALL_TARGETS_JS,
    TARGETS,
    NetworkMeter,
)
from tests.browser.portal_pages import COURSE_SUBMIT, fill_sign_up, submit
from tests.browser.test_resident_pages import MAX_PAGE_BYTES, ZOOMED

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-staff")]

CAPACITY = 5
NAMES = {"fr": "Amélie Dupont", "nl": "Lotte Janssens", "en": "Sam Taylor"}


def places_left(live_server: LiveServer, session_id: int) -> int:
    from portal.courses import listing, places
    from portal.extensions import db

    with live_server.app.app_context():
        session = listing.get_session(session_id)
        assert session is not None
        left = places.availability(session).places_left
        db.session.remove()
        return int(left)


def outbox_for(live_server: LiveServer, email: str) -> list[Any]:
    from portal.extensions import db
    from portal.notify.models import OutboxMessage
    from tests.outbox import rendered

    with live_server.app.app_context():
        messages = [rendered(message) for message in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == email).order_by(OutboxMessage.id))]
        db.session.remove()
        return messages


def sign_up(page: Any, lang: str, session_id: int, email: str) -> None:
    """From the list of sessions to the booking page, as a resident does it."""
    page.goto(f"/{lang}/courses/")
    with page.expect_navigation(wait_until="load"):
        page.click(f"main a[href$='/courses/{session_id}']")
    assert re.search(rf"/{lang}/courses/{session_id}$", page.url), page.url
    fill_sign_up(page, NAMES[lang], email)
    submit(page, COURSE_SUBMIT)


@pytest.mark.parametrize(("lang", "js"), [("fr", True), ("nl", False), ("en", True)],
                         ids=["fr-js", "nl-no-js", "en-js"])
def test_sign_up_then_cancel_from_the_email(context_factory: Any, live_server: LiveServer,
                                            lang: str, js: bool) -> None:
    session_id = add_course_session(live_server, language=lang, capacity=CAPACITY,
                                    venue=f"Salle du parcours {lang}-{js}")
    email = f"resident-{uuid.uuid4().hex[:10]}@example.org"
    page = context_factory(lang, js=js).new_page()

    sign_up(page, lang, session_id, email)
    # (The browser keeps the form's #sign-up fragment across the 303.)
    assert re.search(rf"/{lang}/courses/booking/[^/?#]+\?new=1(#.*)?$", page.url), page.url
    assert page.get_attribute("html", "lang") == lang
    assert page.locator(".flash-success").count() == 1, page.inner_text("main")
    assert page.locator(".booking-status.booking-confirmed").count() == 1
    assert NAMES[lang] in page.inner_text("main")
    assert places_left(live_server, session_id) == CAPACITY - 1

    # The confirmation e-mail, in the resident's language, with the dates as an .ics file.
    messages = outbox_for(live_server, email)
    assert len(messages) == 1, [m.subject for m in messages]
    message = messages[0]
    assert message.language == lang
    calendars = [a for a in message.attachments if a["filename"].endswith(".ics")]
    assert len(calendars) == 1, message.attachments
    assert calendars[0]["content_type"].startswith("text/calendar")
    from portal.notify.models import Attachment

    assert b"BEGIN:VCALENDAR" in Attachment.from_json(calendars[0]).data
    links = re.findall(rf"{re.escape(live_server.url)}/{lang}/courses/booking/[^\s/]+/cancel",
                       message.body)
    assert links, message.body

    # The link from the e-mail shows a question; only the button cancels.
    page.goto(links[0])
    assert page.locator("main form button.danger").count() == 1
    assert places_left(live_server, session_id) == CAPACITY - 1
    submit(page, "main form button.danger")
    assert re.search(rf"/{lang}/courses/booking/[^/?#]+\?done=cancelled(#.*)?$", page.url), page.url
    assert page.locator(".flash-success").count() == 1, page.inner_text("main")
    assert page.locator(".booking-status.booking-cancelled").count() == 1
    assert places_left(live_server, session_id) == CAPACITY

    # The session page offers every place again.
    page.goto(f"/{lang}/courses/{session_id}")
    assert page.locator(".places-full").count() == 0
    assert str(CAPACITY) in page.inner_text(".places")


# Every course page a resident sees ----------------------------------------------------------------

def _course_pages(session_id: int) -> dict[str, Callable[[Any, str, Callable[[], None]], str]]:
    """name -> reach(page, lang, mark), returning the selector the page must show."""

    def course_list(page: Any, lang: str, mark: Callable[[], None]) -> str:
        mark()
        page.goto(f"/{lang}/courses/")
        return f"main a[href$='/courses/{session_id}']"

    def session_page(page: Any, lang: str, mark: Callable[[], None]) -> str:
        mark()
        page.goto(f"/{lang}/courses/{session_id}")
        return "#name"

    def with_errors(page: Any, lang: str, mark: Callable[[], None]) -> str:
        page.goto(f"/{lang}/courses/{session_id}")
        mark()
        submit(page, COURSE_SUBMIT)
        return ".error-summary"

    def booking(page: Any, lang: str, mark: Callable[[], None]) -> str:
        page.goto(f"/{lang}/courses/{session_id}")
        fill_sign_up(page, NAMES[lang], f"tour-{uuid.uuid4().hex[:10]}@example.org")
        mark()
        submit(page, COURSE_SUBMIT)
        return ".booking-status.booking-confirmed"

    def cancel(page: Any, lang: str, mark: Callable[[], None]) -> str:
        mark()  # from the booking page just above
        with page.expect_navigation(wait_until="load"):
            page.click("main a[href$='/cancel']")
        return "main form button.danger"

    def cancelled(page: Any, lang: str, mark: Callable[[], None]) -> str:
        mark()  # from the question just above
        submit(page, "main form button.danger")
        return ".booking-status.booking-cancelled"

    return {"course list": course_list, "session page": session_page,
            "session page with errors": with_errors, "booking": booking,
            "cancel question": cancel, "booking cancelled": cancelled}


@pytest.fixture(scope="module")
def course_tours(browser: Any, live_server: LiveServer) -> Any:
    from axe_playwright_python.sync_playwright import Axe

    session_id = add_course_session(live_server, capacity=40, venue="Salle des mesures")
    cache: dict[str, list[dict[str, Any]]] = {}

    def tour(lang: str) -> list[dict[str, Any]]:
        if lang in cache:
            return cache[lang]
        axe = Axe()
        context = new_context(browser, live_server, lang)
        try:
            page = context.new_page()
            meter = NetworkMeter(context, page)
            visits = []
            for name, reach in _course_pages(session_id).items():
                expected = reach(page, lang, meter.reset)
                page.wait_for_selector(expected, state="attached")
                visit = {"name": name, "url": page.url, "bytes": meter.total(),
                         "breakdown": meter.breakdown(),
                         "small": page.evaluate(SMALL_TARGETS_JS, [TARGETS, MIN_TARGET]),
                         "axe": axe.run(page)}
                page.set_viewport_size(ZOOMED)
                visit["overflow"] = page.evaluate(OVERFLOW_JS, ZOOMED["width"])
                page.set_viewport_size(PHONE)
                visits.append(visit)
            assert not context.foreign_requests, context.foreign_requests
        finally:
            context.close()
        cache[lang] = visits
        return visits

    return tour


@pytest.mark.parametrize("lang", LANGS)
def test_course_pages_pass_axe(course_tours: Any, lang: str) -> None:
    failing = [v for v in course_tours(lang) if v["axe"].violations_count]
    assert not failing, "\n\n".join(f"{v['name']} ({v['url']}):\n{v['axe'].generate_report()}"
                                    for v in failing)
    assert len(course_tours(lang)) == 6


@pytest.mark.parametrize("lang", LANGS)
def test_course_tap_targets_are_at_least_44_px(course_tours: Any, lang: str) -> None:
    failing = {v["name"]: v["small"] for v in course_tours(lang) if v["small"]}
    assert not failing, "\n".join(f"{name}: {', '.join(items)}" for name, items in failing.items())


@pytest.mark.parametrize("lang", LANGS)
def test_course_pages_readable_at_200_percent(course_tours: Any, lang: str) -> None:
    limit = ZOOMED["width"] + 1
    failing = {v["name"]: v["overflow"] for v in course_tours(lang)
               if max(v["overflow"]["scrollWidth"], v["overflow"]["innerWidth"]) > limit}
    assert not failing, "\n".join(f"{name}: {o}" for name, o in failing.items())


@pytest.mark.parametrize("lang", LANGS)
def test_course_pages_weigh_at_most_60_kb(course_tours: Any, lang: str) -> None:
    heavy = {v["name"]: v["breakdown"] for v in course_tours(lang) if v["bytes"] > MAX_PAGE_BYTES}
    assert not heavy, heavy
    for visit in course_tours(lang):
        assert visit["bytes"] > 2000, (visit["name"], visit["breakdown"])
