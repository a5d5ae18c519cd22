"""Browsers that race each other against the portal served over real HTTP (``live_server``).

The test client runs one request at a time; a race needs requests that really overlap, each
with its own database connection, as gunicorn's workers have.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import requests

from tests.conftest import csrf_token
from tests.staff import PASSWORD

T = TypeVar("T")
#: Generous: the first request of a thread may wait for a connection on a loaded machine.
TIMEOUT_S = 120


class Browser:
    """One person's browser: its own cookies, no redirects followed."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.base + path, allow_redirects=False, timeout=TIMEOUT_S)

    def post(self, path: str, data: dict[str, str]) -> requests.Response:
        return self.http.post(self.base + path, data=data, allow_redirects=False, timeout=TIMEOUT_S)

    def form(self, path: str, **fields: str) -> Callable[[], requests.Response]:
        """Open the form at ``path`` now; the returned call sends it (later, in a race)."""
        token = csrf_token(self.get(path).text)
        return lambda: self.post(path, {"csrf_token": token, **fields})

    def password_step(self, email: str, password: str = PASSWORD) -> requests.Response:
        return self.form("/fr/manage/login", email=email, password=password)()


def race(calls: list[Callable[[], T]]) -> list[T]:
    """Run the calls at the same moment, one thread each; their results in the same order."""
    start = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def one(index: int) -> None:
        try:
            start.wait()
            results[index] = calls[index]()
        except BaseException as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results
