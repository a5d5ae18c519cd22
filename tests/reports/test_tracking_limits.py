"""Attempts on one reference are limited whatever the addresses they come from, and an unknown
reference meets the same limit: the answers never tell whether a reference exists."""
from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server

from portal.reports.services import new_reference
from portal.reports.views import CODE_ATTEMPTS, LINK_REQUESTS
from tests.conftest import Database, base_settings
from tests.reports.helpers import ask_for_link, file_and_confirm, other_reference, track, wrong_code

CODES = int(CODE_ATTEMPTS.split()[0])
LINKS = int(LINK_REQUESTS.split()[0])


@pytest.fixture
def limited(database: Database, tmp_path: Path, geo_cache: Path) -> Iterator[Flask]:
    """The portal with its rate limits on, behind a proxy that names the client's address."""
    from portal import create_app
    from portal.extensions import db

    settings = base_settings(tmp_path, geo_cache, DATABASE_URL=database.url_for_test(tmp_path),
                             RATELIMIT_ENABLED=True, TRUST_PROXY=True)
    if database.backend == "postgresql":  # many requests at once wait for a pooled connection
        settings["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, "pool_size": 5,
                                                 "max_overflow": 10, "pool_timeout": 60}
    application = create_app(settings)
    database.reset(application)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def address(n: int) -> dict[str, str]:
    return {"REMOTE_ADDR": f"198.51.100.{n}"}


def test_code_attempts_are_limited_per_reference_from_any_address(limited: Flask) -> None:
    filed = file_and_confirm(limited.test_client(), email="resident@example.org")
    unknown = other_reference(filed.reference)
    for reference in (filed.reference, unknown):
        # However it is typed, it is one reference; each attempt from another address.
        typed = [reference, reference.lower(), reference.replace("-", "")]
        statuses = [track(limited.test_client(), "fr", typed[n % 3], wrong_code(filed.code), **address(n)).status_code
                    for n in range(CODES + 1)]
        assert statuses == [422] * CODES + [429], reference
    # Now even the right code is refused, from yet another address; another report is not.
    assert track(limited.test_client(), "fr", filed.reference, filed.code, **address(200)).status_code == 429
    other = file_and_confirm(limited.test_client())
    assert track(limited.test_client(), "fr", other.reference, other.code, **address(201)).status_code == 303


def test_lost_code_requests_are_limited_per_reference_and_per_address(limited: Flask) -> None:
    filed = file_and_confirm(limited.test_client(), email="resident@example.org")
    statuses = [ask_for_link(limited.test_client(), "en", filed.reference, f"person{n}@example.org",
                             **address(n)).status_code for n in range(LINKS + 1)]
    assert statuses == [303] * LINKS + [429]
    # One mailbox, asked about on several references from several addresses.
    statuses = [ask_for_link(limited.test_client(), "en", new_reference(),
                             "Someone@Example.org" if n % 2 else "someone@example.org", **address(50 + n)).status_code
                for n in range(LINKS + 1)]
    assert statuses == [303] * LINKS + [429]
    # Asking for links does not spend the tries of the tracking code.
    assert track(limited.test_client(), "en", filed.reference, filed.code, **address(99)).status_code == 303


def test_concurrent_guesses_from_many_addresses_meet_one_limit(limited: Flask) -> None:
    """Guesses sent at the same moment over HTTP, each from its own address, through the proxy."""
    filed = file_and_confirm(limited.test_client(), email="resident@example.org")
    server = make_server("127.0.0.1", 0, limited, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/fr/track/"
    count = CODES + 6
    start = threading.Barrier(count, timeout=120)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def attempt(n: int, code: str, together: bool = True) -> int:
        with requests.Session() as browser:
            browser.headers["X-Forwarded-For"] = f"203.0.113.{n}"
            page = browser.get(url, timeout=120).text
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
            if together:
                start.wait()
            return browser.post(url, timeout=120, allow_redirects=False, data={
                "csrf_token": token, "reference": filed.reference, "code": code}).status_code

    def guess(n: int) -> None:
        try:
            statuses.append(attempt(n, wrong_code(filed.code)))
        except BaseException as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)

    try:
        guessers = [threading.Thread(target=guess, args=(n,)) for n in range(count)]
        for guesser in guessers:
            guesser.start()
        for guesser in guessers:
            guesser.join()
        right = attempt(250, filed.code, together=False)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
    assert errors == []
    assert sorted(statuses) == [422] * CODES + [429] * (count - CODES)
    assert right == 429
