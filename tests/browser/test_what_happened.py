"""What happened, in the browser at 390 px in each language: a pickpocketing on a tram with a
time window (refused when inverted, kept when right), and a stolen car whose confirmation and
tracking page give the next step, where the reporter adds the police report number."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import LANGS, LiveServer
from tests.browser.portal_pages import REFERENCE, facts_day, fill_report, submit
from tests.browser.test_report_flow import stored

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

#: The words each language must show (from the catalogs, so a missing translation fails here).
WORDS = {
    "fr": {"window_error": "La fin de la période ne peut pas précéder son début.",
           "complaint": "Prochaine étape\u00a0: une plainte à la police",
           "zone": "Midi", "pv_saved": "le numéro du procès-verbal a été ajouté"},
    "nl": {"window_error": "Het einde van de periode kan niet vóór het begin liggen.",
           "complaint": "Volgende stap: een klacht bij de politie",
           "zone": "Zuid", "pv_saved": "het nummer van het proces-verbaal is toegevoegd"},
    "en": {"window_error": "The end of the period cannot be before its start.",
           "complaint": "Next step: a complaint to the police",
           "zone": "Midi", "pv_saved": "the number of the police report has been added"},
}


def _shoot(page: Any, tmp_path: Path, name: str) -> None:
    """Full-page screenshots, kept in PORTAL_SCREENSHOTS when set (for a person to look at)."""
    folder = Path(os.environ.get("PORTAL_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _no_wider_than_the_phone(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.parametrize("lang", LANGS)
def test_a_tram_pickpocketing_with_a_time_window(context_factory: Any, live_server: LiveServer,
                                                 lang: str, tmp_path: Path) -> None:
    page = context_factory(lang).new_page()
    page.goto(f"/{lang}/report/new/transport-pickpocketing")
    assert page.locator("#occurred_at_time").count() == 0
    assert page.get_attribute("#time_from", "type") == "time"
    fill_report(page, lang, "transport-pickpocketing", "1060")
    page.fill("#time_from", "18:40")
    page.fill("#time_to", "18:05")
    page.check("input[name=line_type][value=tram]")
    page.fill("#line", "81")
    page.fill("#stop", "Barrière")
    page.check("input[name=violence][value=no]")
    _shoot(page, tmp_path, f"transport-form-{lang}")
    submit(page)
    # Refused at the field, with everything kept.
    assert WORDS[lang]["window_error"] in page.inner_text("#time_to-error")
    assert page.input_value("#time_from") == "18:40" and page.input_value("#line") == "81"
    assert page.is_checked("input[name=line_type][value=tram]")
    _no_wider_than_the_phone(page)
    _shoot(page, tmp_path, f"transport-window-error-{lang}")
    page.fill("#time_to", "19:15")
    submit(page)
    reference = (page.text_content(".reference") or "").strip()
    assert REFERENCE.fullmatch(reference), page.inner_text("main")[:2000]
    main = page.inner_text("main")
    assert WORDS[lang]["complaint"] in main and WORDS[lang]["zone"] in main
    _shoot(page, tmp_path, f"transport-done-{lang}")
    report = stored(live_server, reference)
    assert report.occurred_on.isoformat() == facts_day()
    assert {k: report.details.get(k) for k in ("time_from", "time_to", "line_type", "line", "stop")} == {
        "time_from": "18:40", "time_to": "19:15", "line_type": "tram", "line": "81", "stop": "Barrière"}


@pytest.mark.parametrize("lang", LANGS)
def test_a_stolen_car_gets_the_next_step_and_takes_the_pv_number(
        context_factory: Any, live_server: LiveServer, lang: str, tmp_path: Path) -> None:
    page = context_factory(lang, js=False).new_page()
    page.goto(f"/{lang}/report/new/vehicle-theft")
    fill_report(page, lang, "vehicle-theft", "1070")  # Anderlecht: zone Midi
    page.check("input[name=theft_kind][value=of]")
    page.check("input[name=vehicle_kind][value=car]")
    page.fill("#plate", "1 abc 234")
    page.check("input[name=police_declaration][value=not_yet]")
    _shoot(page, tmp_path, f"vehicle-form-{lang}")
    submit(page)
    reference = (page.text_content(".reference") or "").strip()
    assert REFERENCE.fullmatch(reference), page.inner_text("main")[:2000]
    advice = page.inner_text(".next-step")
    assert WORDS[lang]["complaint"] in advice and WORDS[lang]["zone"] in advice and "101" in advice
    _no_wider_than_the_phone(page)
    _shoot(page, tmp_path, f"vehicle-done-{lang}")
    with page.expect_navigation(wait_until="load"):
        page.click(".tracking-link a")
    assert WORDS[lang]["complaint"] in page.inner_text(".next-step")
    page.fill("#number", "BR.12.L3.012345/2026")
    submit(page, "#police-report button[type=submit]")
    assert WORDS[lang]["pv_saved"] in page.inner_text("main")
    assert "BR.12.L3.012345/2026" in page.inner_text(".facts")
    _no_wider_than_the_phone(page)
    _shoot(page, tmp_path, f"vehicle-tracking-{lang}")
    report = stored(live_server, reference)
    assert report.police_report_number == "BR.12.L3.012345/2026"
    assert (report.details["theft_kind"], report.details["vehicle_kind"], report.details["plate"]) == (
        "of", "car", "1-ABC-234")
