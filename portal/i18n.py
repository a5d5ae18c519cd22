"""Languages: which one a request speaks, its translations, and per-language data.

Why not Flask-Babel's ``gettext`` for every string: on this machine each call costs about
13 µs (it finds the app context, the domain, the cached locale and the translations on every
call), so a page with fifty strings spent most of its render time there. Here the catalogs of
the three languages are loaded once per process, and the one a request speaks is put in a
context variable when the request starts; ``_`` is then one dictionary look-up. Flask-Babel
stays for what it is good at: its locale selector, the ``{% trans %}`` extension, and the
extraction workflow. WTForms' own messages come from ``portal.forms``, also read once per process.
"""
from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from contextvars import ContextVar, Token
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import urlencode

from babel import Locale, numbers
from babel import dates as babel_dates
from babel.support import NullTranslations, Translations
from flask import Flask, Request, request, url_for
from flask_babel import LazyString
from markupsafe import Markup
from werkzeug.routing import AnyConverter, Map

from portal.config import DEFAULT_LANGUAGE, LANGUAGE_AUTONYMS, LANGUAGES, TIMEZONE

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
#: The cookie that remembers the language a person last used.
LANGUAGE_COOKIE = "lang"

_catalogs: dict[str, NullTranslations] = {}
_language: ContextVar[str] = ContextVar("portal_language", default=DEFAULT_LANGUAGE)


class LanguageConverter(AnyConverter):
    """``<lang:lang>`` in a route: one of the portal's languages, as configured."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, *LANGUAGES)


@functools.cache
def _language_title(code: str, reader: str) -> str:
    return Locale.parse(code).get_language_name(reader) or code


def language_title(code: str) -> str:
    """A language's name in the reader's language ("néerlandais", "Frans", "English"), from
    the CLDR data Babel ships: a new language needs no translated title of its own."""
    return _language_title(code, current_language()) if code in LANGUAGES else code


def language_titles() -> dict[str, str]:
    """Every language of the portal, named in the reader's language."""
    return {code: language_title(code) for code in LANGUAGES}


def load_catalogs(directory: Path = TRANSLATIONS_DIR) -> None:
    """Read the compiled catalogs of every language once per process."""
    for lang in LANGUAGES:
        catalog = Translations.load(str(directory), [lang])
        _catalogs[lang] = catalog


def current_language() -> str:
    """The language of the request (or of the ``speaking`` block) being handled."""
    return _language.get()


def set_language(lang: str) -> Token[str]:
    """Make ``lang`` the language of the rest of this request (``reset_language`` ends it)."""
    return _language.set(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)


def reset_language(token: Token[str]) -> None:
    _language.reset(token)


@contextlib.contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Render something in another language, such as an e-mail in the recipient's language."""
    token = _language.set(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _language.reset(token)


def _catalog() -> NullTranslations:
    try:
        return _catalogs[_language.get()]
    except KeyError:  # catalogs not loaded (a bare script): fall back to the source strings
        return NullTranslations()


def gettext(message: str, **variables: Any) -> str:
    """Translate ``message`` into the current language; ``variables`` fill named placeholders."""
    text = _catalog().gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """Translate with a plural form chosen by ``num`` (available as ``%(num)s``)."""
    variables.setdefault("num", num)
    return _catalog().ngettext(singular, plural, num) % variables


def lazy_gettext(message: str, **variables: Any) -> LazyString:
    """Translate when the string is used, not when it is defined (form labels, enum titles)."""
    return LazyString(gettext, message, **variables)


_ = gettext
_l = lazy_gettext


def localized(obj: Any, field: str, lang: str | None = None) -> str:
    """Read per-language data stored as ``<field>_fr``, ``<field>_nl``, ``<field>_en``."""
    lang = lang or current_language()
    value = getattr(obj, f"{field}_{lang}", None)
    return value or getattr(obj, f"{field}_{DEFAULT_LANGUAGE}")


def negotiate(request: Request) -> str:
    """The remembered language, else the best ``Accept-Language`` match, else French."""
    remembered = request.cookies.get(LANGUAGE_COOKIE)
    if remembered in LANGUAGES:
        return remembered
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


#: Babel's locale for each language's dates: Belgian French and Dutch, and European English
#: (day before month, 24-hour clock), never the United States' order.
DATE_LOCALES = {"fr": "fr_BE", "nl": "nl_BE", "en": "en_BE"}
#: Where a language's own pattern reads better than the locale's: "Saturday 12 December 2026"
#: (CLDR's en_BE puts a comma after the weekday).
_DATE_PATTERNS = {("en", "full"): "EEEE d MMMM y"}
_NamedFormat = Literal["full", "long", "medium", "short"]
_NAMED_FORMATS = ("short", "medium", "long", "full")


def date_locale(lang: str | None = None) -> str:
    """The Babel locale that formats dates and times in ``lang``."""
    lang = lang or current_language()
    return DATE_LOCALES.get(lang, lang)


def format_datetime(value: datetime | None, fmt: str = "medium") -> str:
    """A moment in Brussels time, the same way on every page: the day ("12 December 2026";
    with the weekday for ``fmt="full"``), then the time ("09:03"), joined as each language
    writes it ("12 décembre 2026 à 09:03", "12 december 2026 om 09:03")."""
    if value is None:
        return ""
    day = format_date(value, "full" if fmt == "full" else "long")
    return gettext("%(day)s, %(time)s", day=day, time=format_time(value))


def format_date(value: date | datetime | None, fmt: str = "long") -> str:
    """A day (a datetime is first put in Brussels time), in the current language."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(babel_dates.get_timezone(TIMEZONE)).date()
    lang = current_language()
    locale = date_locale(lang)
    pattern = _DATE_PATTERNS.get((lang, fmt)) or (
        babel_dates.get_date_format(cast(_NamedFormat, fmt), locale).pattern
        if fmt in _NAMED_FORMATS else fmt)
    if lang == "fr" and value.day == 1:
        # French writes the first day of a month as an ordinal: "1er décembre", never "1 décembre"
        # (CLDR has no such pattern). Only where the month is written out.
        pattern = pattern.replace("d MMMM", "d'er' MMMM")
    return babel_dates.format_date(value, pattern, locale=locale)


def format_time(value: datetime | None, fmt: str = "short") -> str:
    """A time of day in Brussels time, on the 24-hour clock ("09:03", "19:03")."""
    if value is None:
        return ""
    return babel_dates.format_time(value, fmt, tzinfo=babel_dates.get_timezone(TIMEZONE),
                                   locale=date_locale())


def format_number(value: float) -> str:
    """A figure in the language's number format: "1 234,5" in French, "1.234,5" in Dutch."""
    return numbers.format_decimal(value, locale=current_language())


def bare_label(label: Any) -> str:
    """A field's label without its final punctuation and the space before it, for "label: message"
    ("Que s'est-il passé ?" becomes "Que s'est-il passé")."""
    return str(label).strip().rstrip(".?:!;\u00a0\u202f ")


def reference_span(reference: str) -> Markup:
    """A reference or code in a page's sentence, kept on one line (it breaks at its hyphens)."""
    return Markup('<span class="ref">%s</span>') % reference


def init_app(app: Flask) -> None:
    """Wire the fast translations into Jinja and Flask-Babel's locale into our language."""
    load_catalogs()
    # Flask-Babel installed its own (slow) callables; templates use these instead. Old-style:
    # ``_()`` in a template is one plain call, and ``{% trans x=y %}`` has Jinja mark the
    # translation safe and fill it with the escaped variables (``Markup % vars``). Newstyle
    # would wrap every string in three more context calls and a Markup, for nothing here.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: _catalog().gettext(message),
        lambda singular, plural, num: _catalog().ngettext(singular, plural, num),
        newstyle=False,
    )
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["time"] = format_time
    app.jinja_env.filters["reference"] = reference_span
    app.jinja_env.filters["bare_label"] = bare_label
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.globals["localized"] = localized
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES


def alternate_urls() -> dict[str, str]:
    """This page in each language (the switch and the ``hreflang`` links), query kept."""
    endpoint = request.endpoint
    args = dict(request.view_args or {})
    if endpoint is None or request.url_rule is None or "lang" not in request.url_rule.arguments:
        return {lang: url_for("site.home", lang=lang) for lang in LANGUAGES}
    # The query is added as it came, never passed to ``url_for``: it takes some names for
    # itself (``_method``, ``_external``, ``_scheme``, ``endpoint``), and ``?_method=POST``
    # made every page, the error page included, fail to build its links.
    query = urlencode(list(request.args.items(multi=True))) if request.method == "GET" else ""
    suffix = f"?{query}" if query else ""
    return {lang: url_for(endpoint, **{**args, "lang": lang}) + suffix for lang in LANGUAGES}


def language_names() -> dict[str, Markup]:
    """Each language's name written in that language, for the switch."""
    return {lang: Markup(LANGUAGE_AUTONYMS[lang]) for lang in LANGUAGES}
