"""Pages that are the same for every visitor in a language are rendered once per process.

The home page, the first step of the report form, the emergency page, the privacy notice and
the accessibility statement depend only on the language and the configuration: no form, no
CSRF token, no account, no data. They are the most visited pages, often on weak connections,
so each worker keeps their HTML per language instead of rendering the templates every time.
Nothing that matters across requests is kept: the cache is a pure function of the code,
the configuration and the catalogs, which a new process (a deployment) reloads anyway.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, request, session

from portal.i18n import current_language


def same_for_everyone(view: Callable[..., str]) -> Callable[..., str]:
    """Serve the view's HTML from the per-language cache when nothing personal can be in it."""

    @wraps(view)
    def cached(*args: Any, **kwargs: Any) -> str:
        # A flash message is personal; a query string changes the language links.
        if request.query_string or session.get("_flashes") or current_app.debug:
            return view(*args, **kwargs)
        pages: dict[tuple[str, str], str] = current_app.extensions.setdefault("portal_pages", {})
        key = (request.endpoint or "", current_language())
        html = pages.get(key)
        if html is None:
            html = pages[key] = view(*args, **kwargs)
        return html

    return cached
