"""A coordinator in the browser: the key's QR code at enrolment, then the statistics page with
the municipalities compared, on a phone and on a desktop screen, in French and Dutch: the
comparison's figures for a known month, the table readable on a phone without scrolling
sideways, every chart label whole inside its chart."""
from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, PHONE, LiveServer
from tests.browser.portal_pages import file_report, municipality_name
from tests.browser.staff_pages import log_in, make_account
from tests.reports.batch_helpers import make_reports

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-staff")]
#: Screenshots for a person to look at, when this names a folder.
SHOTS = os.environ.get("PORTAL_SCREENSHOTS", "")
#: One month long past per run: its figures are those of ``add_known_month`` alone.
MONTHS = {("fr", 390): date(2019, 1, 1), ("fr", 1280): date(2019, 2, 1),
          ("nl", 390): date(2019, 3, 1), ("nl", 1280): date(2019, 4, 1)}
#: The comparison of such a month: municipality -> reports, overdue, median times.
KNOWN = {
    "fr": {"21009": ["4", "2", "4,5 heures", "4 jours"], "21015": ["1", "1", "0,1 heure", "—"]},
    "nl": {"21009": ["4", "2", "4,5 uur", "4 dagen"], "21015": ["1", "1", "0,1 uur", "—"]},
}


def add_known_month(live_server: LiveServer, first: date) -> None:
    """Reports sent on the 10th of ``first``'s month at noon. Ixelles: acknowledged after 2, 4.5
    and 30 hours (median 4.5), closed after 3 and 5 days (median 4), one acknowledged and one
    new still open (both overdue today). Schaerbeek: acknowledged after 6 minutes, still open.
    Jette: one marked as spam, which counts nowhere."""
    from sqlalchemy import update

    from portal.extensions import db
    from portal.reports.models import Report
    from portal.times import BRUSSELS

    sent = datetime.combine(first + timedelta(days=9), time(12), BRUSSELS)
    plan = [  # municipality, status, hours to acknowledge, hours to close, other values
        ("21009", "resolved", 2, 72, {}), ("21009", "closed", 4.5, 120, {}),
        ("21009", "acknowledged", 30, None, {}), ("21009", "new", None, None, {}),
        ("21015", "acknowledged", 0.1, None, {}), ("21010", "acknowledged", 1, None, {"spam": True}),
    ]
    for nis, status, to_acknowledge, to_close, extra in plan:
        reference = make_reports(live_server.app, 1, nis)[0]
        with live_server.app.app_context():
            db.session.execute(update(Report).where(Report.reference == reference).values(
                created_at=sent, status=status, acknowledge_due_at=sent + timedelta(days=2),
                close_due_at=sent + timedelta(days=30),
                acknowledged_at=None if to_acknowledge is None else sent + timedelta(hours=to_acknowledge),
                closed_at=None if to_close is None else sent + timedelta(hours=to_close), **extra))
            db.session.commit()
            db.session.remove()


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["fr", "nl"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390x844", "1280x800"])
def test_coordinator_compares_municipalities(context_factory: Any, live_server: LiveServer,
                                             lang: str, viewport: dict[str, int]) -> None:
    from portal import geo

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

    # A month whose figures are known: every municipality's row, zeros included.
    first = MONTHS[(lang, viewport["width"])]
    add_known_month(live_server, first)
    last = (first + timedelta(days=31)).replace(day=1) - timedelta(days=1)
    page.goto(f"/{lang}/manage/statistics?preset=custom&first={first}&last={last}")
    expected = [[municipality_name(m.nis, lang), *KNOWN[lang].get(m.nis, ["0", "0", "—", "—"])]
                for m in geo.municipalities()]
    shown = page.evaluate("[...document.querySelectorAll('table.comparison tbody tr')]"
                          ".map(tr => [...tr.children].map(cell => cell.textContent.trim()))")
    assert shown == expected
    # On a phone as on a desk screen: every heading and figure lies inside the screen, none
    # hidden in a box to scroll; on a phone each name has a line of its own above its figures.
    outside = page.evaluate("""(width) => [...document.querySelectorAll('table.comparison th, table.comparison td')]
        .filter(cell => { const box = cell.getBoundingClientRect();
                          return box.left < 0 || box.right > width || box.width < 1; })
        .map(cell => cell.textContent.trim())""", viewport["width"])
    assert outside == []
    assert page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth") <= 0
    ixelles = page.locator("table.comparison tbody tr", has_text=municipality_name("21009", lang))
    name_box, figure_box = ixelles.locator("th").bounding_box(), ixelles.locator("td").first.bounding_box()
    assert (figure_box["y"] >= name_box["y"] + name_box["height"]) == (viewport == PHONE)
    _shot(page, f"comparison-{size}")
    if viewport == PHONE:  # axe on the phone layout: a grid that keeps the table's roles
        from axe_playwright_python.sync_playwright import Axe

        result = Axe().run(page)
        assert not result.violations_count, result.generate_report()
