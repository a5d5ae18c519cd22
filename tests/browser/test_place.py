"""The place in the browser at 390 px: the picker (tap and keyboard) shows where the report
goes before it is sent and the report lands there; 1040/1050 show the outline map and "I don't
know" reaches the coordinators' queue; a Wavre position with 1000 offers both ways; axe on the
picker; the form page stays within 60 KB without the picker; nothing leaves the portal's host (and
the check of that sees a request to another host when there is one)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import LANGS, LiveServer
from tests.browser.measure import NetworkMeter
from tests.browser.portal_pages import fill_report, municipality_name, submit
from tests.browser.staff_pages import log_in, make_account
from tests.browser.test_report_flow import stored

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
#: Screenshots for a person to look at, when PORTAL_SCREENSHOTS names a folder
SHOTS = os.environ.get("PORTAL_SCREENSHOTS")
FLAGEY = (50.827, 4.372)  # Ixelles
WAVRE = (50.717, 4.611)
SENTENCE = {"fr": "Ce signalement ira à la commune d'Ixelles", "nl": "Deze melding gaat naar de gemeente Elsene",
            "en": "This report will go to the municipality of Ixelles"}
#: The municipalities a shared postal code names (City of Brussels and another).
SHARED = {"1040": ("21004", "21005"), "1050": ("21004", "21009")}
TO_DECIDE = {"fr": "Commune à déterminer", "nl": "Gemeente te bepalen", "en": "Municipality to decide"}


def shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def open_picker(page: Any) -> None:
    page.click("[data-picker-open]")
    page.wait_for_selector(".leaflet-tooltip.picker-label", state="attached")


def reference_of(page: Any) -> str:
    return (page.text_content(".reference") or "").strip()


def screen_point(page: Any, lat: float, lon: float) -> dict[str, float]:
    """Where a place is on the screen, as Leaflet draws it (for a tap)."""
    return page.evaluate("""([lat, lon]) => {
        const box = document.querySelector('[data-picker-map]').getBoundingClientRect();
        const map = window.__pickerMap;
        const p = map.latLngToContainerPoint([lat, lon]);
        return {x: box.left + p.x, y: box.top + p.y};
    }""", [lat, lon])


@pytest.mark.parametrize("lang", LANGS)
def test_a_tap_on_the_map_shows_the_municipality_and_the_report_lands_there(
        context_factory: Any, live_server: LiveServer, lang: str) -> None:
    context = context_factory(lang)
    page = context.new_page()
    page.goto(f"/{lang}/report/new/vandalism")
    fill_report(page, lang, "vandalism", postal_code="1050")
    assert page.is_hidden("[data-destination]")  # 1050: two municipalities, not decided yet
    open_picker(page)
    page.locator("[data-picker-map]").scroll_into_view_if_needed()
    point = screen_point(page, *FLAGEY)
    page.touchscreen.tap(point["x"], point["y"])
    status = page.text_content("[data-picker-status]") or ""
    assert "Ixelles" in status or "Elsene" in status, status
    page.click("[data-picker-confirm]")
    assert SENTENCE[lang] in page.inner_text("[data-destination]")
    shot(page, f"picker-tap-{lang}")
    submit(page)
    report = stored(live_server, reference_of(page))
    assert (report.municipality_nis, report.municipality_to_decide) == ("21009", False)
    assert abs(report.latitude - FLAGEY[0]) < 0.002 and abs(report.longitude - FLAGEY[1]) < 0.002
    assert not context.foreign_requests, context.foreign_requests


@pytest.mark.parametrize("lang", LANGS)
def test_the_keyboard_moves_the_pin_and_enter_confirms(
        context_factory: Any, live_server: LiveServer, lang: str) -> None:
    context = context_factory(lang, mobile=False)
    page = context.new_page()
    page.goto(f"/{lang}/report/new/burglary")
    fill_report(page, lang, "burglary", postal_code="1050")
    page.focus("[data-picker-open]")
    page.keyboard.press("Enter")
    page.wait_for_selector(".leaflet-tooltip.picker-label", state="attached")
    page.wait_for_function("document.activeElement.hasAttribute('data-picker-map')")
    for _zoom in range(3):
        page.keyboard.press("+")
    page.keyboard.press("ArrowUp")  # the pin appears in the middle of the map
    # Walk the pin to Flagey with arrow keys only (a few dozen metres a press at this zoom)
    best = None
    for _press in range(300):
        where = page.evaluate("window.__pickerPin()")
        dy, dx = FLAGEY[0] - where[0], (FLAGEY[1] - where[1]) * 0.63  # degrees → same scale
        distance = abs(dy) + abs(dx)
        if best is not None and distance >= best:
            break  # as close as the steps allow
        best = distance
        key = ("ArrowUp" if dy > 0 else "ArrowDown") if abs(dy) > abs(dx) else (
            "ArrowRight" if dx > 0 else "ArrowLeft")
        page.keyboard.press(key)
    assert best is not None and best < 0.004, best
    page.keyboard.press("Enter")
    name = {"fr": "Ixelles", "nl": "Elsene", "en": "Ixelles"}[lang]
    assert name in (page.text_content("[data-picker-status]") or "")
    assert SENTENCE[lang] in page.inner_text("[data-destination]")
    submit(page)
    assert stored(live_server, reference_of(page)).municipality_nis == "21009"
    assert not context.foreign_requests, context.foreign_requests


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("code", ["1040", "1050"])
def test_a_shared_code_shows_the_map_and_i_dont_know_reaches_the_coordinators(
        context_factory: Any, live_server: LiveServer, lang: str, code: str) -> None:
    context = context_factory(lang, js=False)
    page = context.new_page()
    page.goto(f"/{lang}/report/new/burglary")
    fill_report(page, lang, "burglary", postal_code=code)
    submit(page)
    assert page.locator(".place-map svg path.place-map-area").count() == 2
    labels = page.locator(".place-map svg text.place-map-label").all_text_contents()
    assert sorted(labels) == sorted(municipality_name(nis, lang) for nis in SHARED[code])
    box = page.locator(".place-map svg").bounding_box()
    assert box is not None and 0 < box["width"] <= 390 and box["height"] > 0, box
    shot(page, f"choice-{code}-{lang}")
    page.check("input[name=municipality][value=unknown]")
    submit(page)
    reference = reference_of(page)
    report = stored(live_server, reference)
    assert report.municipality_to_decide and report.municipality_nis in SHARED[code]
    assert {"fr": "coordinateurs", "nl": "coördinatoren", "en": "coordinators"}[lang] in page.inner_text("main")
    assert not context.foreign_requests, context.foreign_requests
    # In the coordinators' queue, marked "municipality to decide" (a coordinator's phone)
    coordinator = context_factory(lang).new_page()
    log_in(coordinator, lang, make_account(live_server, "coordinator", language=lang)[0], tap=True)
    coordinator.goto(f"/{lang}/manage/reports?decide=1")
    item = coordinator.locator(".report-item", has_text=reference)
    assert item.count() == 1 and TO_DECIDE[lang] in item.inner_text(), coordinator.inner_text("main")


@pytest.mark.parametrize("lang", LANGS)
def test_a_wavre_position_with_1000_offers_both_ways(context_factory: Any, live_server: LiveServer,
                                                     lang: str) -> None:
    context = context_factory(lang)
    page = context.new_page()
    page.goto(f"/{lang}/report/new/vandalism")
    fill_report(page, lang, "vandalism", postal_code="1000")
    page.evaluate("""([lat, lon]) => {
        document.getElementById('latitude').value = lat;
        document.getElementById('longitude').value = lon; }""", list(WAVRE))
    submit(page)
    text = page.inner_text("main")
    assert {"fr": "en dehors de la Région", "nl": "buiten het Brussels", "en": "outside the Brussels"}[lang] in text
    assert page.locator(".place-map-pin").count() == 1
    # keep the postal code ...
    assert page.locator("input[name=municipality][value='21004']").count() == 1
    # ... or move the pin: the picker is there, the pin at Wavre
    assert page.is_visible("[data-picker-open]")
    shot(page, f"wavre-1000-{lang}")
    open_picker(page)
    status = page.text_content("[data-picker-status]") or ""
    assert {"fr": "en dehors", "nl": "buiten", "en": "outside"}[lang] in status
    page.check("input[name=municipality][value='21004']")
    submit(page)
    assert stored(live_server, reference_of(page)).municipality_nis == "21004"
    assert not context.foreign_requests, context.foreign_requests


@pytest.mark.parametrize("lang", LANGS)
def test_the_picker_passes_axe_and_the_form_stays_light(context_factory: Any, lang: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    context = context_factory(lang)
    page = context.new_page()
    meter = NetworkMeter(context, page)
    meter.reset()
    page.goto(f"/{lang}/report/new/vandalism", wait_until="networkidle")
    assert meter.total() <= 60 * 1024, meter.breakdown()
    assert not any("leaflet" in url or "outlines" in url for url in context.requests)
    open_picker(page)
    page.keyboard.press("ArrowUp")
    result = Axe().run(page)
    assert result.violations_count == 0, result.generate_report()
    shot(page, f"picker-{lang}")
    assert not context.foreign_requests, context.foreign_requests


def test_the_check_sees_another_host_when_tiles_are_set(context_factory: Any, live_server: LiveServer) -> None:
    """What makes "no request leaves the portal's host" mean something: the live server runs with
    the default settings (no tiles), and with tiles set the same check catches the picker asking
    the tile host."""
    assert live_server.app.config["MAP_TILE_URL"] == ""
    live_server.app.config["MAP_TILE_URL"] = "https://tiles.example.invalid/{z}/{x}/{y}.png"
    try:
        context = context_factory("fr")
        page = context.new_page()
        page.goto("/fr/report/new/vandalism")
        open_picker(page)
        page.wait_for_selector(".leaflet-tile", state="attached")
        page.wait_for_load_state("networkidle")
    finally:
        live_server.app.config["MAP_TILE_URL"] = ""
    assert context.foreign_requests
    assert all(url.startswith("https://tiles.example.invalid/") for url in context.foreign_requests)
