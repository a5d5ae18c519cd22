"""The portal served for real on 127.0.0.1, and one Debian Chromium driven by Playwright.

The tests of this folder run in two pytest-xdist groups: ``xdist_group("browser")`` (the
resident's pages and flows) and ``xdist_group("browser-staff")`` (staff, organisers, courses,
what happened), each in one worker, so that both workers share the browser tests (one group held
the whole run's critical path). A worker builds the server and the browser below once, for the
groups it runs: with two workers, each has its own of both, and no test may rely on what
another module's tests left on its server.
"""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.live import CHROMIUM, CHROMIUM_ARGS, LiveServer, serve
from tests.conftest import missing

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
LANGS = ("fr", "nl", "en")
#: The locale the browser announces with each language of the portal.
LOCALES = {"fr": "fr-BE", "nl": "nl-BE", "en": "en-GB"}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory, geo_cache: Path) -> Iterator[LiveServer]:
    """A migrated, seeded SQLite database and werkzeug's threaded server in a daemon thread."""
    with serve(tmp_path_factory.mktemp("browser"), geo_cache) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the whole run (Debian's: Playwright never downloads a browser here)."""
    if shutil.which(CHROMIUM) is None:
        missing("Chromium", f"{CHROMIUM} is not installed")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as error:  # pragma: no cover - the test extras install it
        missing("Chromium", f"Playwright is not installed ({error})")
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Error as error:
            missing("Chromium", f"{CHROMIUM} does not start: {error}")
        yield chromium
        chromium.close()


def new_context(browser: Any, live_server: LiveServer, lang: str = "fr", *,
                viewport: dict[str, int] = PHONE, js: bool = True, mobile: bool = True) -> Any:
    """A fresh browser profile (cookies, cache) as a resident's phone, offline but for the portal.

    Any request to another host is refused and remembered in ``context.foreign_requests``: the
    portal promises to ask nothing of any other host.
    """
    context = browser.new_context(
        viewport=viewport, has_touch=mobile, is_mobile=mobile, device_scale_factor=1,
        java_script_enabled=js, locale=LOCALES[lang], timezone_id="Europe/Brussels",
        base_url=live_server.url)
    context.set_default_timeout(90_000)  # stops a hung step only: never a measure of speed
    context.requests = []  # every URL the pages of this context asked for
    context.foreign_requests = []
    context.on("request", lambda request: context.requests.append(request.url))

    def refuse(route: Any) -> None:
        context.foreign_requests.append(route.request.url)
        route.abort()

    # Only requests to other hosts are intercepted (intercepting all would disable the cache).
    context.route(lambda url: not url.startswith((live_server.url + "/", "data:", "blob:")), refuse)
    return context


@pytest.fixture
def context_factory(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """Make contexts for one test and close them after it."""
    made: list[Any] = []

    def make(lang: str = "fr", **kwargs: Any) -> Any:
        context = new_context(browser, live_server, lang, **kwargs)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()
