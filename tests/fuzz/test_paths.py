"""Odd addresses and methods anywhere: a localized 404 or 405 page (or an Open311 error under
/open311/), never a 5xx, never the address's markup unescaped."""
from __future__ import annotations

from urllib.parse import quote, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import strategies as st

from tests.fuzz.hostile import check_open311, check_page, hostile, run

PREFIXES = ("/", "/fr/", "/nl/report/", "/en/report/new/", "/fr/track/report/", "/fr/manage/",
            "/fr/manage/reports/", "/nl/courses/", "/fr/courses/booking/", "/static/", "/open311/",
            "/open311/v2/", "/open311/v2/requests/", "/xx/", "/fr/report/categories/")
#: Raw pieces a client can put in a path without the test client re-encoding them.
RAW = ("", "%FF%FE", "%C0%AF", "%ED%A0%80", "%00", "%0D%0ASet-Cookie:%20fz=1", "%2e%2e%2f%2e%2e%2f",
       "..;/", "%252e", "//", "/./", ".json", ".xml", "?a=%FF&b=%00", "#frag")


def test_odd_addresses_and_methods(app: Flask, client: FlaskClient) -> None:
    def check(value: tuple) -> None:
        prefix, text, raw, method = value
        path = prefix + quote(text, safe="/") + raw
        response = client.open(path, method=method)
        if method == "HEAD":
            assert response.status_code < 500 and not response.data, (path, response.status_code)
        elif urlsplit(path).path.startswith("/open311/") and response.status_code >= 400:
            # Any suffix but .xml (and no suffix) is JSON, as the API's error handler decides.
            check_open311(response, "xml" if response.request.path.endswith(".xml") else "json")
        else:
            check_page(response, [text])
        assert response.status_code in (200, 301, 302, 303, 308, 400, 404, 405), (
            method, path, response.status_code)
        assert not any("fz=1" in cookie for cookie in response.headers.getlist("Set-Cookie"))

    run(app, 50, 20, st.tuples(st.sampled_from(PREFIXES), hostile(), st.sampled_from(RAW),
                               st.sampled_from(("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"))),
        check,
        ("/fr/", '"><img src=x onerror=alert("fz")>', "", "GET"),
        ("/open311/v2/", "requests\n.xml", "", "PUT"),
        ("/open311/", "a\nb", "%0A", "GET"))


#: The pages each worker renders once per language (portal/pagecache.py).
CACHED = ("/fr/", "/nl/", "/en/", "/fr/report/", "/nl/report/emergency", "/en/privacy", "/fr/accessibility")


def test_cached_pages_cannot_be_poisoned_by_a_hostile_request(app: Flask, client: FlaskClient) -> None:
    """Whatever the first visitor sends (headers, cookies, method), the page cached for everyone
    is the page a plain visitor gets."""
    clean = {path: client.get(path).get_data(as_text=True) for path in CACHED}
    assert all(clean.values())

    def check(value: tuple) -> None:
        path, header, text, method = value
        app.extensions.get("portal_pages", {}).clear()
        hostile_client = app.test_client()
        headers = {header: text.replace("\r", "").replace("\n", "")} if header != "Cookie" else {}
        if header == "Cookie":
            hostile_client.set_cookie("lang", text.replace(";", "").replace("\r", "").replace("\n", ""))
        first = hostile_client.open(path, method=method, headers=headers)
        if method == "GET":
            check_page(first, [text])
        assert first.status_code < 500, first.status_code
        again = app.test_client().get(path)
        assert again.status_code == 200
        assert again.get_data(as_text=True) == clean[path], (path, header, text[:80])

    run(app, 30, 12, st.tuples(st.sampled_from(CACHED),
                               st.sampled_from(("Host", "X-Forwarded-Host", "X-Forwarded-Prefix",
                                                "Accept-Language", "Cookie", "Referer", "User-Agent")),
                               hostile(), st.sampled_from(("GET", "HEAD"))), check,
        ("/fr/", "Host", 'evil.example"><script>alert(1)</script>', "GET"),
        ("/fr/report/", "Accept-Language", "en;q=1, <script>", "HEAD"))


def test_the_checks_catch_an_unescaped_echo_and_a_bad_api_answer() -> None:
    """The checks above can fail: a page that echoes markup raw, or an API that answers an HTML
    error, is caught (a check that cannot fail would prove nothing)."""
    import pytest
    from flask import Flask as Bare
    from flask import request

    bare = Bare("bare")
    bare.add_url_rule("/echo", "echo", lambda: f"<p>{request.args.get('q', '')}</p>")
    bare.add_url_rule("/escaped", "escaped", lambda: "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>")
    bare.add_url_rule("/api.json", "api", lambda: ("<h1>Oops</h1>", 400))
    bare.add_url_rule("/boom", "boom", lambda: 1 / 0)
    client = bare.test_client()
    with pytest.raises(AssertionError, match="unescaped"):
        check_page(client.get("/echo", query_string={"q": "<script>alert(1)</script>"}))
    with pytest.raises(AssertionError, match="raw markup"):
        check_page(client.get("/echo", query_string={"q": "<b onclick=x>hi"}), ["<b onclick=x>hi"])
    check_page(client.get("/escaped"), ["<script>alert(1)</script>"])
    with pytest.raises(AssertionError):
        check_open311(client.get("/api.json"), "json")
    with pytest.raises(AssertionError):
        check_page(client.get("/boom"))
