"""What a resident does in the browser: fill in the report form, reach each page of the portal.

Shared by the tests of this folder and by ``benchmarks/screenshots.py``.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

CATEGORIES = ("school-racket", "transport-pickpocketing", "vehicle-theft", "vandalism",
              "burglary", "other-theft", "other-nuisance")
#: One municipality per category, so that the confirmation cannot show a right name by chance.
POSTAL_CODES = {"school-racket": ("1030", "21015"), "transport-pickpocketing": ("1060", "21013"),
                "vehicle-theft": ("1070", "21001"), "vandalism": ("1080", "21012"),
                "burglary": ("1090", "21010"), "other-theft": ("1180", "21016"),
                "other-nuisance": ("1000", "21004")}
DETAILS: dict[str, dict[str, str]] = {
    "school-racket": {"school": "Athénée Royal"},
    "transport-pickpocketing": {"line": "71", "stop": "Flagey"},
    "vehicle-theft": {"make": "VW Polo", "colour": "rouge", "police_declaration": "yes"},
}
DESCRIPTIONS = {"fr": "Des graffitis sur le mur de l'école, près de l'entrée.",
                "nl": "Graffiti op de muur van de school, bij de ingang.",
                "en": "Graffiti on the school wall, near the entrance."}
REFERENCE = re.compile(r"BX-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}")
SUBMIT = "form[enctype] button[type=submit]"


def facts_day() -> str:
    """Yesterday in Brussels, as an <input type=date> value: always a valid date of the facts."""
    from portal.reports.services import brussels_now

    return (brussels_now().date() - timedelta(days=1)).isoformat()


def municipality_name(nis: str, lang: str) -> str:
    from portal import geo

    return geo.municipality(nis).name(lang)


def police_zone_name(nis: str, lang: str) -> str:
    """The name of the police zone of a municipality, as residents read it."""
    from portal import geo

    return geo.police_zone(geo.municipality(nis).police_zone).name(lang)


def fill_report(page: Any, lang: str, code: str, postal_code: str | None = None) -> None:
    """Fill in every field a resident fills for ``code``, as the mouse and the soft keyboard do."""
    page.fill("#description", DESCRIPTIONS[lang])
    page.fill("#occurred_on", facts_day())
    page.fill("#street", "Rue du Trône 12")
    page.fill("#postal_code", postal_code or POSTAL_CODES[code][0])
    for name, value in DETAILS.get(code, {}).items():
        if name == "police_declaration":
            page.check(f"input[name=police_declaration][value={value}]")
        else:
            page.fill(f"#{name}", value)
    if page.locator("input[name=safe_contact]").count():  # a sensitive report (racket)
        page.check("input[name=safe_contact][value=none]")


def submit(page: Any, selector: str = SUBMIT) -> Any:
    """Press a submit button and wait for the answer page (the button is there with or without JS)."""
    with page.expect_navigation(wait_until="load"):
        page.click(selector)
    return page


def file_report(page: Any, lang: str, code: str, postal_code: str | None = None,
                opened: bool = False) -> str:
    """Open the form (unless ``opened``), fill it in, send it; returns the reference shown on
    the confirmation."""
    if not opened:
        page.goto(f"/{lang}/report/new/{code}")
    fill_report(page, lang, code, postal_code)
    submit(page)
    shown = page.locator(".reference")
    assert shown.count() == 1, f"no confirmation at {page.url}:\n{page.inner_text('main')[:3000]}"
    reference = (shown.text_content() or "").strip()
    assert REFERENCE.fullmatch(reference), reference
    return reference


# The resident pages, each reached the way a resident reaches it -------------------------------

# Each takes the page, the language, and ``mark``: called just before the load that shows the
# page itself (the measurements of weight start there, not at the pages on the way).
Reach = Callable[[Any, str, Callable[[], None]], None]


def _goto(path: str) -> Reach:
    def reach(page: Any, lang: str, mark: Callable[[], None]) -> None:
        mark()
        page.goto(f"/{lang}{path}")
    return reach


def _form_with_errors(code: str) -> Reach:
    def reach(page: Any, lang: str, mark: Callable[[], None]) -> None:
        page.goto(f"/{lang}/report/new/{code}")
        mark()
        submit(page)
    return reach


def _sent_with(postal_code: str) -> Reach:
    def reach(page: Any, lang: str, mark: Callable[[], None]) -> None:
        page.goto(f"/{lang}/report/new/vandalism")
        fill_report(page, lang, "vandalism", postal_code)
        mark()
        submit(page)
    return reach


def _tracking(page: Any, lang: str, mark: Callable[[], None]) -> None:
    if not page.locator(".tracking-link a").count():  # not already on a confirmation
        _sent_with("1060")(page, lang, lambda: None)
    mark()
    with page.expect_navigation(wait_until="load"):
        page.click(".tracking-link a")


RESIDENT_PAGES: dict[str, Reach] = {
    "home": _goto("/"),
    "privacy": _goto("/privacy"),
    "accessibility": _goto("/accessibility"),
    "report safety": _goto("/report/"),
    "emergency": _goto("/report/emergency"),
    "categories": _goto("/report/categories"),
    **{f"form {code}": _goto(f"/report/new/{code}") for code in CATEGORIES},
    **{f"form {code} with errors": _form_with_errors(code) for code in CATEGORIES},
    "municipality choice (1050)": _sent_with("1050"),
    "outside the Region": _sent_with("1930"),
    "confirmation": _sent_with("1060"),
    "tracking page": _tracking,  # from the confirmation just above
    "tracking find": _goto("/track/"),
    "tracking code lost": _goto("/track/lost"),
    "not found": _goto("/report/new/no-such-category"),
}
#: What each page must show, to know the page reached is the one meant.
EXPECTED_SELECTOR = {
    "form vandalism with errors": ".error-summary",
    "municipality choice (1050)": "input[name=municipality]",
    "confirmation": ".reference",
    "tracking page": ".timeline",
}


def reach(page: Any, lang: str, name: str, mark: Callable[[], None] = lambda: None) -> None:
    """Bring ``page`` to the resident page called ``name`` (a key of RESIDENT_PAGES)."""
    RESIDENT_PAGES[name](page, lang, mark)
    expected = EXPECTED_SELECTOR.get(name) or (".error-summary" if name.endswith("with errors") else "h1")
    page.wait_for_selector(expected, state="attached")


# Course sessions: a resident signs up ------------------------------------------------------------

COURSE_SUBMIT = "main form[method=post] button[type=submit]"


def fill_sign_up(page: Any, name: str, email: str, purpose: str = "general") -> None:
    """The sign-up form of a course session: name, e-mail, why, consent (the phone is optional)."""
    page.fill("#name", name)
    page.fill("#email", email)
    page.check(f"input[name=purpose][value={purpose}]")
    page.check("#consent")
