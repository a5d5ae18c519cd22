"""What happened, in the browser at 390 px in each language: a pickpocketing on a tram with a
time window (refused when inverted, kept when right), and a stolen car whose confirmation and
tracking page give the next step, where the reporter adds the police report number. The answers
are stored, shown to the municipality's staff on a phone, and named the same way in Open311's
service definitions, in the same language."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import LANGS, LiveServer
from tests.browser.portal_pages import POSTAL_CODES, REFERENCE, facts_day, fill_report, submit
from tests.browser.staff_pages import facts_of, log_in, make_account
from tests.browser.test_report_flow import stored

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-staff")]

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


#: The answers of each report below as staff read them (question → answer), in each language;
#: the questions are named the same way in Open311's service definitions.
ANSWERS = {
    "transport-pickpocketing": {
        "fr": {"Plage horaire\u00a0: de": "18:40", "Plage horaire\u00a0: jusqu'à": "19:15",
               "Type de ligne": "Tram", "Numéro de la ligne": "81", "Arrêt ou station": "Barrière"},
        "nl": {"Tijdvak: van": "18:40", "Tijdvak: tot": "19:15", "Soort lijn": "Tram",
               "Lijnnummer": "81", "Halte of station": "Barrière"},
        "en": {"Time window: from": "18:40", "Time window: until": "19:15", "Type of line": "Tram",
               "Line number": "81", "Stop or station": "Barrière"},
    },
    "vehicle-theft": {
        "fr": {"Qu'est-ce qui a été volé\u00a0?": "Le véhicule lui-même", "Type de véhicule": "Voiture",
               "Plaque d'immatriculation (facultatif)": "1-ABC-234"},
        "nl": {"Wat werd er gestolen?": "Het voertuig zelf", "Soort voertuig": "Auto",
               "Nummerplaat (optioneel)": "1-ABC-234"},
        "en": {"What was stolen?": "The vehicle itself", "Kind of vehicle": "Car",
               "Licence plate (optional)": "1-ABC-234"},
    },
}


def _staff_and_open311_show_the_answers(context_factory: Any, live_server: LiveServer, lang: str,
                                        code: str, reference: str) -> None:
    """The municipality's staff, on a phone in ``lang``, read the answers on the report's page;
    Open311's definition of the category, in ``lang``, names the same questions and choices."""
    expected = ANSWERS[code][lang]
    context = context_factory(lang)
    staff = context.new_page()
    email = make_account(live_server, "staff", (POSTAL_CODES[code][1],), lang)[0]
    log_in(staff, lang, email, tap=True)
    staff.goto(f"/{lang}/manage/reports/{reference}")
    facts = facts_of(staff)
    assert {question: facts.get(question) for question in expected} == expected, facts
    _no_wider_than_the_phone(staff)
    definition = context.request.get(f"/open311/v2/services/{code}.json?locale={lang}")
    assert definition.ok, definition.status
    attributes = {attribute["description"]: attribute for attribute in definition.json()["attributes"]}
    for question, answer in expected.items():
        choices = [value["name"] for value in attributes[question].get("values", [])]
        assert not choices or answer in choices, (question, choices)


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
    _staff_and_open311_show_the_answers(context_factory, live_server, lang, "transport-pickpocketing", reference)


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
    _staff_and_open311_show_the_answers(context_factory, live_server, lang, "vehicle-theft", reference)
