"""Fewer clicks, in the browser: 50 new reports acknowledged and assigned to oneself in at most
three clicks, one report in two clicks and two page loads, and "back to the list" keeping the
filters and the order (1280 px and 390 px, French and Dutch)."""
from __future__ import annotations

import os
from typing import Any

import pytest
from sqlalchemy import select

from tests.browser.conftest import DESKTOP, PHONE, LiveServer
from tests.browser.staff_pages import log_in, make_account
from tests.reports.batch_helpers import make_reports

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-staff")]
#: One municipality per run, so that each run's list holds exactly its own 50 reports.
RUNS = {("fr", "390"): "21002", ("fr", "1280"): "21006", ("nl", "390"): "21007", ("nl", "1280"): "21008"}
DONE = {"fr": "50 signalements traités.", "nl": "50 meldingen verwerkt."}
ONE_DONE = {"fr": "C'est fait.", "nl": "Gedaan."}


def states(live_server: LiveServer, references: list[str]) -> set[tuple[str, int | None]]:
    from portal.extensions import db
    from portal.reports.models import Report

    with live_server.app.app_context():
        rows = db.session.execute(select(Report.status, Report.assigned_to_id)
                                  .where(Report.reference.in_(references))).all()
        db.session.remove()
    return {tuple(row) for row in rows}


class Counter:
    """Clicks made and pages loaded (each ``load`` event of the main frame)."""

    def __init__(self, page: Any, phone: bool) -> None:
        self.page, self.phone, self.clicks, self.loads = page, phone, 0, 0
        page.on("load", lambda _page: self._loaded())

    def _loaded(self) -> None:
        self.loads += 1

    def click(self, selector: str, navigates: bool = True) -> None:
        self.clicks += 1
        act = self.page.tap if self.phone else self.page.click
        if navigates:
            with self.page.expect_navigation(wait_until="load"):
                act(selector)
        else:
            act(selector)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_fifty_reports_in_two_clicks_and_back_to_the_list(context_factory: Any, live_server: LiveServer,
                                                          lang: str, viewport: dict[str, int]) -> None:
    phone = viewport == PHONE
    nis = RUNS[(lang, str(viewport["width"]))]
    references = make_reports(live_server.app, 50, nis, language="nl" if lang == "fr" else "fr")
    email, user_id = make_account(live_server, "staff", (nis,), lang, "Sam Peeters")
    page = context_factory(lang, viewport=viewport, mobile=phone).new_page()
    log_in(page, lang, email, tap=phone)
    assert page.locator('input[name="item"]').count() == 50
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    shots = os.environ.get("PORTAL_SCREENSHOTS")
    if shots:
        page.screenshot(path=f"{shots}/list-{lang}-{viewport['width']}.png", full_page=False)

    # Clearing the list: tick all on the page, then one button.
    counter = Counter(page, phone)
    counter.click("#select-all", navigates=False)
    assert page.locator('input[name="item"]:checked').count() == 50
    counter.click('.batch-bar button[value="take"]')
    assert DONE[lang] in page.inner_text(".flashes")
    assert (counter.clicks, counter.loads) == (2, 1)
    assert states(live_server, references) == {("acknowledged", user_id)}

    # One report: open it from the list, acknowledge and assign to me in one step.
    single = make_reports(live_server.app, 1, nis)[0]
    page.goto(f"/{lang}/manage/reports?status=new")
    counter = Counter(page, phone)
    counter.click(f'.report-item a:has-text("{single}")')
    counter.click("#take")
    assert ONE_DONE[lang] in page.inner_text(".flashes")
    assert (counter.clicks, counter.loads) == (2, 2)
    assert states(live_server, [single]) == {("acknowledged", user_id)}
    if shots:
        page.screenshot(path=f"{shots}/report-{lang}-{viewport['width']}.png", full_page=False)

    # Back to the list keeps the filters and the order; "next" follows the filtered list.
    page.goto(f"/{lang}/manage/reports?mine=1&status=acknowledged&sort=oldest")
    act = page.tap if phone else page.click
    with page.expect_navigation(wait_until="load"):
        act(f'.report-item a:has-text("{references[0]}")')
    with page.expect_navigation(wait_until="load"):
        act("#next-report")
    assert references[1] in page.inner_text("h1")
    if not phone:  # the documented shortcut: "k" goes back up the list, "u" to the list
        with page.expect_navigation(wait_until="load"):
            page.keyboard.press("k")
        assert references[0] in page.inner_text("h1")
        with page.expect_navigation(wait_until="load"):
            page.keyboard.press("j")
        assert references[1] in page.inner_text("h1")
    with page.expect_navigation(wait_until="load"):
        act("#back-to-list")
    assert page.url.endswith(f"/{lang}/manage/reports?status=acknowledged&mine=1&sort=oldest")
    assert page.locator("#f-sort").input_value() == "oldest"
    assert page.locator("#f-mine").is_checked()
    first = page.locator(".report-item .ref").first.inner_text()
    assert first == references[0]
