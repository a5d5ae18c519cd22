"""Pages that are the same for every visitor in a language are rendered once per process.

The home page, the first step of the report form, the emergency page, the privacy notice and
the accessibility statement depend only on the language and the configuration: no form, no
CSRF token, no account, no data. They are the most visited pages, often on weak connections,
so each worker keeps their HTML per language instead of rendering the templates every time.
Nothing that matters across requests is kept: the cache is a pure function of the code,
the configuration and the catalogs, which a new process (a deployment) reloads anyway.

Pages that also show data (the residents' course list) use ``same_while``: the HTML is kept
with a version of that data, read from the database by one cheap query on every request, and
rendered again as soon as the version differs. The version is what the database says, so a
change made by any worker or process is seen by all of them on their next request.
``fill_in`` does the same for a page with a form: its per-visitor values (the CSRF token, a
submission key) are cut out of the cached HTML and this request's own are put in.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import wraps
from typing import Any

from flask import current_app, request, session

from portal.i18n import current_language

#: Pages per view kept by ``fill_in`` (one per session and language): beyond it, start again.
MOST_PAGES = 300


def personal() -> bool:
    """True when this request's page may hold something of its own and must not be cached."""
    return _personal()


def _personal() -> bool:
    # A flash message is personal; a query string changes the language links.
    return bool(request.query_string or session.get("_flashes") or current_app.debug)


def same_while(version: Callable[[], Hashable]) -> Callable[[Callable[..., str]], Callable[..., str]]:
    """Serve the view's HTML from the per-language cache while ``version()`` is unchanged.

    ``version`` is called first, before the view reads anything: the page rendered after it is
    at least as new as the version it is stored with, never older.
    """

    def decorator(view: Callable[..., str]) -> Callable[..., str]:
        @wraps(view)
        def cached(*args: Any, **kwargs: Any) -> str:
            if _personal():
                return view(*args, **kwargs)
            current = version()
            pages: dict[tuple[str, str], tuple[Hashable, str]] = (
                current_app.extensions.setdefault("portal_versioned_pages", {}))
            key = (request.endpoint or "", current_language())
            found = pages.get(key)
            if found is not None and found[0] == current:
                return found[1]
            html = view(*args, **kwargs)
            pages[key] = (current, html)
            return html

        return cached

    return decorator


def same_for_everyone(view: Callable[..., str]) -> Callable[..., str]:
    """Serve the view's HTML from the per-language cache when nothing personal can be in it."""

    @wraps(view)
    def cached(*args: Any, **kwargs: Any) -> str:
        if _personal():
            return view(*args, **kwargs)
        pages: dict[tuple[str, str], str] = current_app.extensions.setdefault("portal_pages", {})
        key = (request.endpoint or "", current_language())
        html = pages.get(key)
        if html is None:
            html = pages[key] = view(*args, **kwargs)
        return html

    return cached


def fill_in(version: Hashable, fresh: dict[str, str], render: Callable[[], str]) -> str:
    """The page of this URL and language while ``version`` is unchanged, with ``fresh`` put in.

    ``render`` renders the page with the values of ``fresh`` (random strings of URL-safe
    characters, the same in HTML); they are replaced by markers in the copy that is kept, and a
    later request gets its own values in their place. Call ``version`` before anything is read.
    """
    pages: dict[tuple[Any, ...], tuple[Hashable, str]] = (
        current_app.extensions.setdefault("portal_filled_pages", {}))
    key = (request.endpoint or "", current_language(), tuple(sorted((request.view_args or {}).items())))
    found = pages.get(key)
    if found is not None and found[0] == version:
        html = found[1]
        for name, value in fresh.items():
            html = html.replace(f"\x00{name}\x00", value)
        return html
    html = render()
    kept = html
    for name, value in fresh.items():
        kept = kept.replace(value, f"\x00{name}\x00")
    if len(pages) >= MOST_PAGES:
        pages.clear()
    pages[key] = (version, kept)
    return html
