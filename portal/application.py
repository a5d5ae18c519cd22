"""The portal's Flask class: Flask, with the work that is the same on every request done once.

A cached public page costs the portal well under a millisecond, and about a tenth of it (in a
gunicorn worker under cProfile) was Flask's own bookkeeping repeated on every request: asking
``inspect`` whether each of the fourteen hooks is a coroutine, and building the session
cookie's signing serializer even for a visitor without a session cookie. Both
depend only on the code and the secret key, so they are kept. Nothing about a request is kept.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the serializer kept while the keys are the same,
    and an empty session handed out without it when the request has no session cookie."""

    def __init__(self) -> None:
        self._keys: tuple[Any, ...] | None = None
        self._serializer: URLSafeTimedSerializer | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if keys != self._keys:
            # Set together: a thread that reads the pair sees the serializer of these keys.
            self._serializer, self._keys = super().get_signing_serializer(app), keys
        return self._serializer

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


class PortalFlask(Flask):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Each app its own: the serializer depends on the app's secret key.
        self.session_interface = SessionCookies()
        self._sync: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Flask asks this for every hook and view of every request; the answer never changes."""
        try:
            return self._sync[func]
        except KeyError:
            made = self._sync[func] = super().ensure_sync(func)
            return made
        except TypeError:  # an unhashable callable: ask every time
            return super().ensure_sync(func)
