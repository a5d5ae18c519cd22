"""Every page lives under a language prefix, links its other versions, and says its language."""
from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

PAGES = ["/{lang}/", "/{lang}/privacy", "/{lang}/accessibility"]
TITLES = {"fr": "Portail de la prévention à Bruxelles", "nl": "Preventieportaal Brussel",
          "en": "Brussels prevention portal"}


def test_root_defaults_to_french(web: FlaskClient) -> None:
    response = web.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/fr/"


@pytest.mark.parametrize(("header", "expected"), [
    ("nl-BE,nl;q=0.9,en;q=0.5", "/nl/"),
    ("en-GB,en;q=0.8", "/en/"),
    ("de-DE,de;q=0.9", "/fr/"),
    ("de;q=0.9,nl;q=0.3", "/nl/"),
])
def test_root_follows_accept_language(web: FlaskClient, header: str, expected: str) -> None:
    response = web.get("/", headers={"Accept-Language": header})
    assert response.headers["Location"] == expected


def test_root_prefers_remembered_language(web: FlaskClient) -> None:
    web.get("/nl/")  # visiting a Dutch page remembers Dutch
    response = web.get("/", headers={"Accept-Language": "en"})
    assert response.headers["Location"] == "/nl/"
    web.get("/en/privacy")
    assert web.get("/").headers["Location"] == "/en/"


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_page_language_and_alternates(web: FlaskClient, lang: str, page: str) -> None:
    path = page.format(lang=lang)
    response = web.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    assert TITLES[lang] in html
    for other in ("fr", "nl", "en"):
        target = page.format(lang=other)
        # hreflang alternates are absolute (search engines want them so), on PORTAL_BASE_URL
        assert f'<link rel="alternate" hreflang="{other}" href="http://127.0.0.1:5000{target}">' in html
        if other != lang:
            assert f'href="{target}" hreflang="{other}"' in html  # the visible switch


def test_switch_keeps_query_string(web: FlaskClient) -> None:
    html = web.get("/nl/privacy?x=1").get_data(as_text=True)
    assert 'href="/fr/privacy?x=1"' in html


def test_unknown_language_is_404(web: FlaskClient) -> None:
    assert web.get("/de/").status_code == 404


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_emergency_strip_and_footer(web: FlaskClient, lang: str) -> None:
    html = web.get(f"/{lang}/").get_data(as_text=True)
    assert 'href="tel:112"' in html and 'href="tel:101"' in html
    assert f'href="/{lang}/privacy"' in html and f'href="/{lang}/accessibility"' in html


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_no_request_to_another_host(web: FlaskClient, lang: str, page: str) -> None:
    html = web.get(page.format(lang=lang)).get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    # The hreflang alternates are absolute, on the portal's own PORTAL_BASE_URL.
    external = [s for s in sources if re.match(r"^(https?:)?//", s)
                and not s.startswith("http://127.0.0.1:5000/")]
    assert external == []
    # The shell of the site needs no JavaScript: at most the portal's own optional scripts
    # (typed text kept across the language switch), never an inline one.
    scripts = re.findall(r"<script([^>]*)>", html)
    assert all(re.search(r'src="/static/js/[\w-]+\.js"', attributes) for attributes in scripts)


def test_dates_are_formatted_in_brussels_time_per_language(web_app) -> None:
    from datetime import UTC, datetime

    from portal.i18n import format_datetime, speaking

    moment = datetime(2026, 7, 1, 22, 30, tzinfo=UTC)  # 00:30 on 2 July in Brussels (CEST)
    with web_app.app_context():
        with speaking("fr"):
            assert format_datetime(moment, "long").startswith("2 juillet 2026")
        with speaking("nl"):
            assert format_datetime(moment, "long").startswith("2 juli 2026")
        with speaking("en"):
            assert format_datetime(moment, "long").startswith("2 July 2026")  # European order, not "July 2, 2026"


def test_only_staff_pages_load_the_staff_stylesheet(client: FlaskClient) -> None:
    """Resident pages stay within their weight budget: the work list's and statistics' styles
    come only with the pages under /<lang>/manage (here the log-in page)."""
    for path, staff in (("/fr/", False), ("/nl/report/categories", False), ("/en/courses/", False),
                        ("/fr/manage/login", True), ("/nl/manage/login", True)):
        html = client.get(path).get_data(as_text=True)
        assert "css/portal.css" in html, path
        assert ("css/staff.css" in html) == staff, path
