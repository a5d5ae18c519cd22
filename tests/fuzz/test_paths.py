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
        for name in response.headers.keys():
            assert name.lower() != "set-cookie" or "fz=1" not in response.headers[name]

    run(app, 50, 20, st.tuples(st.sampled_from(PREFIXES), hostile(), st.sampled_from(RAW),
                               st.sampled_from(("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"))),
        check,
        ("/fr/", '"><img src=x onerror=alert("fz")>', "", "GET"),
        ("/open311/v2/", "requests\n.xml", "", "PUT"),
        ("/open311/", "a\nb", "%0A", "GET"))
