"""Hostile input on the report form: every field, every encoding, repeated and missing fields.

A valid CSRF token and form stamp come from a real GET each time, so the mutations reach the
portal's own checks. Either one whole report is stored (with its 'created' event) or none.
"""
from __future__ import annotations

import io
import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import strategies as st

from portal.reports.models import Report, ReportEvent
from portal.reports.services import brussels_now
from tests.conftest import csrf_token
from tests.fuzz.hostile import ENCODINGS, body, check_page, count, mutate, report_invariants, run, texts_of
from tests.reports.helpers import DETAILS, hidden, jpeg_with_gps

CODES = ("vandalism", "school-racket", "transport-pickpocketing", "vehicle-theft")
FIELDS = ("description", "occurred_on", "occurred_at_time", "street", "postal_code", "latitude",
          "longitude", "school", "line", "stop", "make", "colour", "police_declaration", "email",
          "phone", "municipality", "submission_key", "kept_photos", "website",
          "shown_at", "csrf_token", "safe_contact", "email_language")
#: Files a robot might send as photos: nothing, garbage, an empty file, a real photo.
UPLOADS = (None, (b"", "empty.jpg"), (b"\xff\xd8\xff\xe0 not really a JPEG", "x.jpg"),
           (b"<script>alert(1)</script>", '"><img src=x onerror=alert(1)>.png'),
           ("real", "photo.jpg"))


def base_fields(code: str) -> dict[str, str]:
    yesterday = (brussels_now() - timedelta(days=1)).date().isoformat()
    return {"description": "Graffiti on the school wall", "occurred_on": yesterday,
            "occurred_at_time": "17:30", "street": "Rue du Trône 12", "postal_code": "1060",
            "email": "resident@example.org", **DETAILS.get(code, {})}


def case() -> st.SearchStrategy:
    return st.sampled_from(CODES).flatmap(lambda code: st.tuples(
        st.just(code), mutate(base_fields(code), FIELDS), st.sampled_from(ENCODINGS),
        st.sampled_from(UPLOADS), st.sampled_from(("fr", "nl", "en"))))


def test_report_form_survives_hostile_fields(app: Flask, client: FlaskClient) -> None:
    stored = {"reports": 0}

    def check(value: tuple) -> None:
        code, pairs, encoding, upload, lang = value
        page = client.get(f"/{lang}/report/new/{code}")
        html = check_page(page)
        fresh = {"csrf_token": csrf_token(html), "submission_key": hidden(html, "submission_key"),
                 "shown_at": hidden(html, "shown_at")}
        # Hidden fields the mutation did not touch take the page's values, as a browser sends.
        touched = {name for name, _value in pairs}
        pairs = [*pairs, *((n, v) for n, v in fresh.items() if n not in touched)]
        if upload is not None and encoding == "multipart":
            data = jpeg_with_gps() if upload[0] == "real" else upload[0]
            pairs.append(("photos", (io.BytesIO(data), upload[1])))
        before = (count(app, Report), count(app, ReportEvent))
        response = client.post(f"/{lang}/report/new/{code}", **body(pairs, encoding))
        check_page(response, texts_of(pairs))
        reports, events = count(app, Report) - before[0], count(app, ReportEvent) - before[1]
        if response.status_code == 303:
            assert re.search(r"/report/done/BX-", response.headers["Location"]), response.headers["Location"]
            assert (reports, events) in ((1, 1), (0, 0)), (reports, events)  # (0, 0): same key again
            if reports:
                stored["reports"] += 1
                follow_the_report(client, response.headers["Location"], texts_of(pairs))
        else:
            assert response.status_code in (200, 400, 413, 422), response.status_code
            assert (reports, events) == (0, 0), (response.status_code, reports, events)
        report_invariants(app)

    run(app, 50, 25, case(), check,
        ("vehicle-theft", [("make", '"><img src=x onerror=alert("fz")>'), *base_fields("vehicle-theft").items()],
         "multipart", ("real", "photo.jpg"), "nl"))
    assert stored["reports"] >= 1, "no example got past the form: the mutations test nothing"


def follow_the_report(client: FlaskClient, done_url: str, sent: list[str]) -> None:
    """The confirmation and the tracking page show what was stored, escaped."""
    done = check_page(client.get(done_url), sent)
    link = re.search(r'href="http://[^/"]+(/(?:fr|nl|en)/track/[^"]+)"', done)
    assert link, done[:3000]
    opened = client.get(link.group(1))
    assert opened.status_code == 303
    check_page(client.get(opened.headers["Location"]), sent)


def test_report_form_with_hostile_markup_everywhere_is_stored_and_shown_escaped(
        app: Flask, client: FlaskClient) -> None:
    """Markup in every free-text field that passes the checks comes back escaped."""
    run(app, 8, 4, st.tuples(st.sampled_from(CODES), st.sampled_from((
        '<script>alert("fz")</script>', '"><img src=x onerror=alert("fz")>',
        "'><svg/onload=alert('fz')>", '" autofocus onfocus="alert(1)'))),
        lambda value: _markup_everywhere(app, client, *value))


def _markup_everywhere(app: Flask, client: FlaskClient, code: str, payload: str) -> None:
    html = client.get(f"/fr/report/new/{code}").get_data(as_text=True)
    fields = {**base_fields(code), "description": payload, "street": payload[:200],
              **{name: payload for name in DETAILS.get(code, {}) if name != "police_declaration"},
              "csrf_token": csrf_token(html), "submission_key": hidden(html, "submission_key"),
              "shown_at": hidden(html, "shown_at")}
    before = count(app, Report)
    response = client.post(f"/fr/report/new/{code}", data=fields)
    check_page(response, [payload])
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    assert count(app, Report) == before + 1
    follow_the_report(client, response.headers["Location"], [payload])
    # The form coming back with an error keeps the markup, escaped.
    fields["postal_code"] = payload
    fields["submission_key"] = hidden(client.get(f"/fr/report/new/{code}").get_data(as_text=True),
                                      "submission_key")
    again = client.post(f"/fr/report/new/{code}", data=fields)
    assert again.status_code == 422
    text = check_page(again, [payload])
    assert "&lt;" in text or "&#34;" in text or "&#39;" in text
    report_invariants(app)
