"""Municipal staff in the browser: log in, acknowledge and answer a report, on a phone and on a
desktop screen; and every staff page passes axe-core in each language."""
from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, LANGS, PHONE, LiveServer
from tests.browser.portal_pages import file_report
from tests.browser.staff_pages import log_in, make_account

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-staff")]
SAINT_GILLES = "21013"  # postal code 1060


def make_staff(live_server: LiveServer, language: str = "fr") -> str:
    """A municipal staff account of Saint-Gilles; returns its e-mail address."""
    return make_account(live_server, "staff", (SAINT_GILLES,), language)[0]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390x844", "1280x800"])
def test_staff_acknowledges_and_answers_a_report(context_factory: Any, live_server: LiveServer,
                                                 viewport: dict[str, int]) -> None:
    resident = context_factory("nl").new_page()
    reference = file_report(resident, "nl", "transport-pickpocketing", postal_code="1060")
    tracking_link = resident.get_attribute(".tracking-link a", "href")

    phone = viewport == PHONE
    staff = context_factory("fr", viewport=viewport, mobile=phone).new_page()
    act = staff.tap if phone else staff.click
    log_in(staff, "fr", make_staff(live_server), tap=phone)
    item = staff.locator(".report-item", has_text=reference)
    assert "Reçu" in item.inner_text()  # "Received", in the staff member's French
    with staff.expect_navigation(wait_until="load"):
        act(f'.report-item a:has-text("{reference}")')
    assert reference in staff.inner_text("h1")

    with staff.expect_navigation(wait_until="load"):
        act('form[action$="/acknowledge"] button')
    assert "C'est fait." in staff.inner_text(".flashes")
    assert "Pris en compte par la commune" in staff.inner_text(".facts")
    assert staff.locator('form[action$="/acknowledge"]').count() == 0

    act('summary:has-text("Répondre")')
    # In the resident's language (Dutch): the answer box warns about text in another one.
    answer = "Dank u. Onze gemeenschapswachten komen deze week langs aan de halte Flagey."
    staff.fill("#answer-text", answer)
    with staff.expect_navigation(wait_until="load"):
        act('form[action$="/answer"] button')
    assert answer in staff.inner_text(".timeline")
    # Every part of the page fits the screen: nothing to scroll sideways.
    assert staff.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    # The resident sees the answer on the tracking page, in Dutch.
    resident.goto(tracking_link)
    assert answer in resident.inner_text(".timeline")
    assert "Ontvangst bevestigd door de gemeente" in resident.inner_text(".facts")


@pytest.mark.parametrize("lang", LANGS)
def test_every_staff_page_passes_axe(context_factory: Any, live_server: LiveServer, lang: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    resident = context_factory(lang).new_page()
    reference = file_report(resident, lang, "vehicle-theft", postal_code="1060")
    page = context_factory(lang, viewport=DESKTOP, mobile=False).new_page()
    results = {}
    page.goto(f"/{lang}/manage/login")
    results["login"] = axe.run(page)
    page.goto(f"/{lang}/manage/password/reset")
    results["reset request"] = axe.run(page)
    log_in(page, lang, make_staff(live_server, lang))
    results["reports list"] = axe.run(page)
    page.goto(f"/{lang}/manage/reports/{reference}")
    page.wait_for_selector(".timeline")
    results["report page"] = axe.run(page)
    page.goto(f"/{lang}/manage/statistics")
    page.wait_for_selector(".chart")
    results["statistics"] = axe.run(page)
    page.goto(f"/{lang}/manage/reports/map")
    page.wait_for_selector("#map")
    results["map"] = axe.run(page)
    page.goto(f"/{lang}/manage/sessions")
    page.wait_for_selector("main h1")
    results["sessions"] = axe.run(page)
    failing = {name: r for name, r in results.items() if r.violations_count}
    assert not failing, "\n\n".join(f"{name}:\n{r.generate_report()}" for name, r in failing.items())
