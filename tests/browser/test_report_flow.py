"""A resident files a report in the browser: each category in each language, with and without
JavaScript (the confirmation gives each category's next step), and the whole flow with the
keyboard only."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests.browser.conftest import LANGS, LiveServer
from tests.browser.measure import FOCUS_JS
from tests.browser.portal_pages import (
    CATEGORIES,
    DETAILS,
    POSTAL_CODES,
    REFERENCE,
    facts_day,
    file_report,
    municipality_name,
    police_zone_name,
    submit,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
#: The computed outline of portal.css's :focus-visible rule (--focus: #ffbf47).
FOCUS_OUTLINE = "3px solid rgb(255, 191, 71)"
#: The next step of each category's report with the answers of DETAILS (the rules of
#: portal/reports/next_step.py; tests/reports/test_next_step.py has each category and answer).
NEXT_STEP = {"school-racket": "complaint", "transport-pickpocketing": "complaint",
             "vehicle-theft": "complaint", "vandalism": "online", "burglary": "complaint",
             "other-theft": "complaint", "other-nuisance": None}
STEP_TITLES = {
    "complaint": {"fr": "Prochaine étape\u00a0: une plainte à la police",
                  "nl": "Volgende stap: een klacht bij de politie", "en": "Next step: a complaint to the police"},
    "online": {"fr": "Prochaine étape\u00a0: le déclarer en ligne à la police",
               "nl": "Volgende stap: online aangifte doen bij de politie",
               "en": "Next step: declare it online to the police"},
}


def stored(live_server: LiveServer, reference: str) -> Any:
    from portal.extensions import db
    from portal.reports.models import Report

    with live_server.app.app_context():
        report = db.session.scalars(select(Report).where(Report.reference == reference)).one()
        db.session.expunge(report)
        db.session.remove()
        return report


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("lang", LANGS)
def test_each_category_end_to_end(context_factory: Any, live_server: LiveServer, lang: str,
                                  js: bool) -> None:
    """One phone (one context and page) per language files a report of each of the 7 categories."""
    page = context_factory(lang, js=js).new_page()
    for code in CATEGORIES:
        page.goto(f"/{lang}/report/new/{code}")
        # "Use my location" exists only where JavaScript can fill the position in.
        assert page.is_visible("[data-locate-button]") is js
        reference = file_report(page, lang, code, opened=True)
        postal_code, nis = POSTAL_CODES[code]
        main = page.inner_text("main")
        assert page.url.endswith(f"/{lang}/report/done/{reference}")
        assert page.get_attribute("html", "lang") == lang
        assert municipality_name(nis, lang) in main, (code, main)
        report = stored(live_server, reference)
        assert (report.category_code, report.municipality_nis, report.language,
                report.postal_code) == (code, nis, lang, postal_code)
        assert report.occurred_on.isoformat() == facts_day()
        assert report.details == dict(DETAILS.get(code, {}))
        advice, step = page.locator(".next-step"), NEXT_STEP[code]
        if step is None:
            assert advice.count() == 0, (code, advice.all_inner_texts())
        else:
            text = advice.inner_text()
            assert STEP_TITLES[step][lang] in text, (code, text)
            # The zone to go to (not repeated to someone who already made a declaration)
            if DETAILS.get(code, {}).get("police_declaration") != "yes":
                assert police_zone_name(nis, lang) in text, (code, text)


def test_the_code_opens_the_report_on_another_phone(context_factory: Any, live_server: LiveServer) -> None:
    """The reference and the code as read on the confirmation, typed on another phone."""
    page = context_factory("nl").new_page()
    reference = file_report(page, "nl", "vandalism")
    code = (page.text_content(".tracking-code") or "").strip()
    assert len(code) == 14 and code.count("-") == 2, code
    other = context_factory("nl", js=False).new_page()
    other.goto("/nl/track/")
    other.fill("#reference", reference.lower())
    other.fill("#code", code.replace("-", " ").lower())
    submit(other, 'form[action$="/track/"] button[type=submit]')
    assert other.url.endswith(f"/nl/track/report/{reference}")
    assert reference in other.inner_text("h1")


def date_keys(context: Any, day: str) -> str:
    """The digits to type into Chromium's date field: its segment order is the browser's own
    (set when it starts, not by the page's language), so find it out on a blank page first."""
    probe = context.new_page()
    try:
        probe.set_content("<input type=date id=d>")
        probe.focus("#d")
        probe.keyboard.type("01022003")
        order = {"2003-01-02": "mdy", "2003-02-01": "dmy"}[probe.input_value("#d")]
    finally:
        probe.close()
    year, month, dd = day.split("-")
    return month + dd + year if order == "mdy" else dd + month + year


def test_the_whole_report_flow_with_the_keyboard_only(context_factory: Any,
                                                       live_server: LiveServer) -> None:
    """Tab, Enter, Space and typing only; every element that gets the focus shows it."""
    page = context_factory("en").new_page()
    page.goto("/en/")
    stops: list[dict[str, Any]] = []

    def tab_to(selector: str, limit: int = 40) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            focus = page.evaluate(FOCUS_JS)
            assert focus is not None, f"the focus left the page before {selector}: {stops[-5:]}"
            stops.append(focus)
            # The focus indicator is the portal's :focus-visible style: a 3 px amber outline
            # (with a dark ring outside the blue header).
            assert focus["focusVisible"] and focus["outline"] == FOCUS_OUTLINE, (focus, stops[-3:])
            if page.evaluate("(s) => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"{selector} never got the focus; last stops: {stops[-8:]}")

    def press_and_load(key: str) -> None:
        with page.expect_navigation(wait_until="load"):
            page.keyboard.press(key)

    # The first Tab shows the skip link; Enter takes the focus to the content.
    tab_to("a.skip", limit=1)
    box = page.locator("a.skip").bounding_box()
    assert box is not None and box["y"] >= 0 and box["height"] >= 44
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    tab_to('main a[href="/en/report/"]')
    press_and_load("Enter")
    tab_to('a[href="/en/report/categories"]')
    press_and_load("Enter")
    tab_to('a[href="/en/report/new/vehicle-theft"]')
    press_and_load("Enter")

    tab_to("#description")
    page.keyboard.type("Someone broke the window of my car and took a bag.")
    tab_to("#occurred_on")
    day = facts_day()
    page.keyboard.type(date_keys(page.context, day))
    assert page.input_value("#occurred_on") == day
    tab_to("#street")
    page.keyboard.type("Rue Wayez 1")
    tab_to("#postal_code")
    page.keyboard.type("1070")
    tab_to("#make")
    page.keyboard.type("Fiat Panda")
    tab_to("#colour")
    page.keyboard.type("blue")
    tab_to("input[name=police_declaration]")
    page.keyboard.press("Space")
    assert page.is_checked("input[name=police_declaration][value=yes]")
    # No consent tick (a public task): a link to the privacy notice, then the button.
    tab_to('main a[href="/en/privacy"]')
    tab_to("button[type=submit]")
    press_and_load("Enter")

    reference = (page.text_content(".reference") or "").strip()
    assert REFERENCE.fullmatch(reference), page.inner_text("main")
    assert "Anderlecht" in page.inner_text("main")
    report = stored(live_server, reference)
    assert (report.category_code, report.municipality_nis, report.street) == (
        "vehicle-theft", "21001", "Rue Wayez 1")
    assert report.details == {"make": "Fiat Panda", "colour": "blue", "police_declaration": "yes"}

    # Follow the report from the private link, still with the keyboard.
    tab_to(".tracking-link a")
    press_and_load("Enter")
    assert page.url.endswith(f"/en/track/report/{reference}")
    assert reference in page.inner_text("h1")
    tab_to("#text")
    page.keyboard.type("The bag was found near the station.")
    tab_to('form[enctype] button[type=submit]')
    press_and_load("Enter")
    assert "The bag was found near the station." in page.inner_text(".timeline")
    assert len(stops) > 25  # the walk really went through the pages
