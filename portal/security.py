"""Security headers on every answer, the check of staff sessions, and no NUL characters."""
from __future__ import annotations

import functools
import logging
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request, session

log = logging.getLogger(__name__)

#: Resident pages ask nothing of any other host; scripts and styles are files of the portal
#: (no inline code, so no 'unsafe-inline'). Maps load tiles from another host only when an
#: operator sets PORTAL_MAP_TILE_URL; by default the municipal outlines are the map.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:{tiles}; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")


def tile_origin(url: str) -> str:
    """The origin the CSP must allow for a tile URL template ("" for none or a bad one)."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f" {parts.scheme}://{parts.netloc.replace('{s}', '*')}"


#: The headers every answer carries unless its view set its own (and ``_csp``, whose value
#: depends on the map tiles' host, read per request because an operator's setting may change).
_EVERY_ANSWER = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    # Same-origin: a tracking or reset link is never sent to another site (and Flask-WTF's
    # HTTPS referrer check still works on our own forms).
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "geolocation=(self), camera=(), microphone=(), payment=(), usb=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
_HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


@functools.lru_cache(maxsize=8)
def _csp(tile_url: str) -> tuple[str, str]:
    return "Content-Security-Policy", CSP.format(tiles=tile_origin(tile_url))


def _headers(response: Response) -> Response:
    headers = response.headers
    # One pass over the few headers the view set (each ``setdefault`` would be a search that
    # raises and catches an exception when the header is absent, the usual case).
    present = {name.lower() for name, _value in headers.items()}
    wanted = [_csp(current_app.config.get("MAP_TILE_URL", "") or ""), *_EVERY_ANSWER]
    if request.is_secure:
        wanted.append(_HSTS)
    for name, value in wanted:
        if name.lower() not in present:
            headers.add(name, value)
    return response


def _check_staff_session() -> None:
    """A staff log-in lasts as long as its session on the server (``portal/accounts/sessions.py``):
    log-out, a password reset, a disable or 30 minutes without a request end it, whatever the
    cookie says. Residents' sessions are not affected; static files are not looked at."""
    if "_user_id" in session and request.endpoint != "static":
        from portal.accounts import sessions

        sessions.check_request()


#: The bodies that ``request.form`` reads (any other gives an empty form).
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def _refuse_nul() -> None:
    """A NUL character is never typed by a person, and PostgreSQL text cannot hold it: refuse
    it at the door (404 in the address, 400 elsewhere) so both databases behave the same."""
    from werkzeug.exceptions import BadRequest, NotFound, RequestEntityTooLarge

    if "\x00" in request.path:
        raise NotFound()
    # Only what the request carries: parsing an absent query string or body costs as much as
    # a cached page's whole view.
    try:
        sources = ([request.args] if request.query_string else []) + (
            [request.form] if request.mimetype in _FORM_TYPES else [])
    except RequestEntityTooLarge:
        return  # the view refuses it, in the language it has chosen
    # f-string: a multipart part without a readable name has None for its name.
    if any("\x00" in f"{key}{value}" for source in sources for key, value in source.items(multi=True)):
        raise BadRequest()


#: Whether this process has already warned that PORTAL_TRUST_PROXY seems to have no proxy.
_proxy_warned = False


def _warn_without_proxy() -> None:
    """With ``PORTAL_TRUST_PROXY`` on, the rate limits count the address ``X-Forwarded-For``
    names. A proxy always sets it: a request without it came straight in, so anyone can send
    the header and pick their own address. Said once per process, in the log."""
    global _proxy_warned
    if _proxy_warned or "X-Forwarded-For" in request.headers:
        return
    _proxy_warned = True
    log.warning("PORTAL_TRUST_PROXY is on, but a request arrived without X-Forwarded-For: "
                "if no reverse proxy sets it, anyone can choose the address the rate limits "
                "count. Turn PORTAL_TRUST_PROXY off, or serve only behind the proxy.")


def init_app(app: Flask) -> None:
    app.after_request(_headers)
    app.before_request(_refuse_nul)
    app.before_request(_check_staff_session)
    if app.config["TRUST_PROXY"]:
        app.before_request(_warn_without_proxy)
