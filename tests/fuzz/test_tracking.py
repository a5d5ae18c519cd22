"""Hostile input on following a report: the search form, "I lost my code", the private link,
adding information, the reporter's buttons. Either one whole event is added or nothing."""
from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import strategies as st

from portal.reports.models import Report, ReportEvent, ReportPhoto
from tests.conftest import csrf_token
from tests.fuzz.hostile import ENCODINGS, body, check_page, count, hostile, mutate, report_invariants, run, texts_of
from tests.reports.helpers import Filed, file_and_confirm, jpeg_with_gps


def tracked_report(client: FlaskClient) -> Filed:
    """A report with an e-mail address, followed by ``client``."""
    filed = file_and_confirm(client, "fr", "vandalism", postal_code="1050", municipality="21009",
                             email="resident@example.org")
    assert client.get(filed.link).status_code == 303
    return filed


def send(browser: FlaskClient, path: str, pairs: list, encoding: str) -> tuple[list, Any]:
    """GET the form at ``path``, then POST ``pairs`` (with the page's CSRF token unless they set
    one); returns the pairs sent and the checked answer."""
    page = check_page(browser.get(path))
    if "csrf_token" not in {name for name, _value in pairs}:
        pairs = [*pairs, ("csrf_token", csrf_token(page))]
    response = browser.post(path, **body(pairs, encoding))
    check_page(response, texts_of(pairs))
    return pairs, response


def test_track_find_survives_hostile_fields(app: Flask, client: FlaskClient) -> None:
    filed = tracked_report(client)
    reference = filed.reference
    stranger = app.test_client()
    base = {"reference": reference, "code": filed.code}
    found = {"n": 0}

    def check(value: tuple) -> None:
        pairs, encoding, lang = value
        pairs, response = send(stranger, f"/{lang}/track/", pairs, encoding)
        if response.status_code == 303:
            assert response.headers["Location"].endswith(f"/track/report/{reference}")
            found["n"] += 1
        else:
            assert response.status_code in (400, 413, 422), response.status_code

    run(app, 40, 15, st.tuples(mutate(base, ("reference", "code", "csrf_token", "website", "shown_at")),
                               st.sampled_from(ENCODINGS), st.sampled_from(("fr", "nl", "en"))), check,
        ([("reference", reference.lower().replace("-", " ")), ("code", f" {filed.code.lower()} ")],
         "urlencoded", "nl"))
    assert found["n"] >= 1, "the report was never found: the checks above test nothing"


def test_lost_code_survives_hostile_fields(app: Flask, client: FlaskClient) -> None:
    """Whatever is sent, one message is queued or none, and never to an address that is not one."""
    from portal.notify.models import OutboxMessage

    reference = tracked_report(client).reference
    stranger = app.test_client()
    sent = {"n": 0}

    def check(value: tuple) -> None:
        pairs, encoding, lang = value
        before = count(app, OutboxMessage)
        pairs, response = send(stranger, f"/{lang}/track/lost", pairs, encoding)
        queued = count(app, OutboxMessage) - before
        if response.status_code == 303:
            assert response.headers["Location"].endswith("/track/lost/sent") and queued == 1
            sent["n"] += 1
        else:
            assert response.status_code in (400, 413, 422) and queued == 0, (response.status_code, queued)

    run(app, 30, 12, st.tuples(mutate({"reference": reference, "email": "resident@example.org"},
                                      ("reference", "email", "csrf_token", "website", "shown_at")),
                               st.sampled_from(ENCODINGS), st.sampled_from(("fr", "nl", "en"))), check,
        ([("reference", reference.lower()), ("email", " Resident@Example.org ")], "urlencoded", "fr"))
    assert sent["n"] >= 1, "nothing was ever sent: the checks above test nothing"


def test_tracking_links_and_pages_with_hostile_addresses(app: Flask, client: FlaskClient) -> None:
    reference = tracked_report(client).reference

    def check(value: tuple) -> None:
        text, template = value
        path = template.format(quote(text, safe=""))
        for method in ("GET", "POST"):
            response = client.open(path, method=method)
            check_page(response, [text])
            assert response.status_code in (200, 303, 400, 404, 405, 422), (path, method, response.status_code)

    run(app, 30, 12, st.tuples(hostile().filter(bool), st.sampled_from((
        "/fr/track/{}", "/nl/track/link/{}", "/nl/track/report/{}", "/en/track/report/{}/export.json",
        "/fr/track/report/{}/done", "/fr/track/report/{}/erasure",
        f"/fr/track/report/{reference}" + "{}"))), check)


def test_add_information_survives_hostile_fields(app: Flask, client: FlaskClient) -> None:
    reference = tracked_report(client).reference
    added = {"n": 0}

    def check(value: tuple) -> None:
        pairs, encoding, upload = value
        page = check_page(client.get(f"/fr/track/report/{reference}"))
        touched = {name for name, _value in pairs}
        if "csrf_token" not in touched:
            pairs = [*pairs, ("csrf_token", csrf_token(page))]
        if upload and encoding == "multipart":
            pairs.append(("photos", (io.BytesIO(jpeg_with_gps() if upload == "real" else upload), "p.jpg")))
        before = count(app, ReportEvent), count(app, ReportPhoto)
        response = client.post(f"/fr/track/report/{reference}", **body(pairs, encoding))
        check_page(response, texts_of(pairs))
        events, photos = count(app, ReportEvent) - before[0], count(app, ReportPhoto) - before[1]
        if response.status_code == 303:
            assert events == 1 and photos in (0, 1), (events, photos)
            added["n"] += 1
            check_page(client.get(response.headers["Location"]), texts_of(pairs))
        else:
            assert response.status_code in (400, 413, 422), response.status_code
            assert (events, photos) == (0, 0), (response.status_code, events, photos)
        report_invariants(app)

    run(app, 30, 12, st.tuples(mutate({"text": "The tag came back on Monday."},
                                      ("text", "csrf_token", "website", "shown_at")),
                               st.sampled_from(ENCODINGS),
                               st.sampled_from((None, b"not a photo", b"", "real"))), check,
        ([("text", "<script>alert(1)</script> came back")], "multipart", "real"))
    assert added["n"] >= 1


def test_reporter_buttons_survive_hostile_fields(app: Flask, client: FlaskClient) -> None:
    reference = tracked_report(client).reference

    def check(value: tuple) -> None:
        pairs, encoding, action = value
        page = client.get(f"/fr/track/report/{reference}").get_data(as_text=True)
        touched = {name for name, _value in pairs}
        if "csrf_token" not in touched:
            pairs = [*pairs, ("csrf_token", csrf_token(page))]
        before = count(app, ReportEvent)
        response = client.post(f"/fr/track/report/{reference}/{action}", **body(pairs, encoding))
        check_page(response, texts_of(pairs))
        assert response.status_code in (303, 400, 413), response.status_code
        assert count(app, ReportEvent) - before in (0, 1)
        kind = next((v for name, v in pairs if name == "kind"), None)  # a form reads the first
        if action == "done" and encoding in ("multipart", "urlencoded") and kind not in (
                "reporter_resolved", "reporter_no_longer_needed"):
            assert count(app, ReportEvent) == before
        report_invariants(app)

    run(app, 20, 8, st.tuples(mutate({"kind": "reporter_resolved"}, ("kind", "csrf_token")),
                               st.sampled_from(ENCODINGS), st.sampled_from(("done", "erasure"))), check)
    assert count(app, Report) == 1
