"""Budgets of the public forms that residents fill in: reports, additions, course sign-ups.

Many residents can share one address (a school, a library, a mobile operator's NAT), so the
per-address budget is generous and a second, tighter budget counts each browser session. Only
what was accepted counts (the 303 redirect after a stored report or sign-up): a form that comes
back with its errors, or asking which municipality, costs nothing. A far higher guard on every
POST from one address still stops a robot that only ever sends broken forms.

The browser session is named by the hash of its CSRF secret (Flask-WTF keeps one per session):
no cookie of our own. A POST without one is refused by the form itself, so it needs no budget.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import current_app, request, session
from werkzeug.wrappers import Response

from portal.extensions import LIMITS, limiter

F = TypeVar("F", bound=Callable[..., object])


def _accepted(response: Response) -> bool:
    """Only a stored submission spends the budget (the form's answer is then a 303)."""
    return response.status_code == 303


def _session_secret() -> str:
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    value = session.get(field)
    return value if isinstance(value, str) else ""


def browser_session() -> str:
    """The rate-limit key of the browser session that sends the form."""
    return "session:" + hashlib.sha256(_session_secret().encode()).hexdigest()[:32]


def _no_session() -> bool:
    return not _session_secret()


def _form_posts() -> str:
    """The guard on every POST (``RATELIMIT_FORM_POSTS`` in the app config, for the tests)."""
    return str(current_app.config.get("RATELIMIT_FORM_POSTS") or LIMITS["form_posts"])


def counted_submission(name: str) -> Callable[[F], F]:
    """The three budgets of a public form: ``LIMITS[name]`` per address and
    ``LIMITS[name + "_session"]`` per browser session, both spent only by an accepted
    submission, and ``LIMITS["form_posts"]`` per address on every POST."""
    def decorate(view: F) -> F:
        limited = limiter.limit(_form_posts, methods=["POST"])(view)
        limited = limiter.limit(LIMITS[f"{name}_session"], methods=["POST"], key_func=browser_session,
                                exempt_when=_no_session, deduct_when=_accepted)(limited)
        limited = limiter.limit(LIMITS[name], methods=["POST"], deduct_when=_accepted)(limited)

        # Only POSTs are counted, yet Flask-Limiter resolves and filters the three limits on
        # every call (a third of the session page's view under cProfile): a GET, the empty
        # form, goes straight to the view. Same name as the view, so the limits still find it.
        @wraps(view)
        def counted(*args: Any, **kwargs: Any) -> Any:
            return limited(*args, **kwargs) if request.method == "POST" else view(*args, **kwargs)

        return cast(F, counted)
    return decorate
