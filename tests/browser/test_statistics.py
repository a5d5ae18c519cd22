"""A coordinator in the browser: the key's QR code at enrolment, then the statistics page with
the municipalities compared, on a phone and on a desktop screen, in French and Dutch: every
chart label lies whole inside its chart and nothing makes the page scroll sideways."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, PHONE, LiveServer
from tests.browser.portal_pages import file_report
from tests.browser.staff_pages import log_in, make_account

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
#: Screenshots for a person to look at, when this names a folder.
SHOTS = os.environ.get("PORTAL_SCREENSHOTS", "")


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["fr", "nl"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390x844", "1280x800"])
def test_coordinator_compares_municipalities(context_factory: Any, live_server: LiveServer,
                                             lang: str, viewport: dict[str, int]) -> None:
    resident = context_factory(lang).new_page()
    file_report(resident, lang, "vandalism", postal_code="1080")  # Molenbeek-Saint-Jean
    file_report(resident, lang, "transport-pickpocketing", postal_code="1060")
    size = f"{viewport['width']}-{lang}"
    page = context_factory(lang, viewport=viewport, mobile=viewport == PHONE).new_page()
    enrolled = []

    def the_key_is_shown(enrolment: Any) -> None:
        qr = enrolment.locator("img.totp-qr")
        assert qr.get_attribute("alt") and qr.evaluate("img => img.naturalWidth") > 0
        assert enrolment.evaluate("document.scrollingElement.scrollWidth - window.innerWidth") <= 0
        _shot(enrolment, f"totp-{size}")
        enrolled.append(True)

    email = make_account(live_server, "coordinator", language="nl", name="Sam Peeters")[0]
    log_in(page, lang, email, at_enrolment=the_key_is_shown)
    assert enrolled

    page.goto(f"/{lang}/manage/statistics?preset=30d")
    rows = page.locator("table.comparison tbody tr")
    assert rows.count() == 19
    molenbeek = {"fr": "Molenbeek-Saint-Jean", "nl": "Sint-Jans-Molenbeek"}[lang]
    # the live server's database is shared by the tests of the session: at least this one
    assert int(page.locator("table.comparison tbody tr", has_text=molenbeek).locator("td").first.inner_text()) >= 1
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, overflow
    clipped = page.evaluate("""() => [...document.querySelectorAll('svg.bar-chart')].flatMap(svg => {
        const box = svg.getBoundingClientRect();
        return [...svg.querySelectorAll('text')].filter(t => {
            const r = t.getBoundingClientRect();
            return r.left < box.left - 0.5 || r.right > box.right + 0.5;
        }).map(t => t.textContent);
    })""")
    assert clipped == []
    labels = page.evaluate("[...document.querySelectorAll('svg.bar-chart text.bar-label')]"
                           ".map(t => [...t.querySelectorAll('tspan')].map(s => s.textContent).join(' '))")
    assert molenbeek in labels, labels
    _shot(page, f"statistics-{size}")
