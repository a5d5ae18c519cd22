"""Hostile input on the Open311 API: every GET filter, every POST field, every address.

Every answer is an Open311 document that parses (JSON or XML), errors included; a POST either
files one whole report or none.
"""
from __future__ import annotations

import io
from urllib.parse import quote, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import strategies as st

from portal.reports.models import Report, ReportEvent
from tests.api.conftest import API, FLAGEY_IXELLES, JURISDICTION, Key, file_report
from tests.fuzz.hostile import ENCODINGS, body, check_open311, count, hostile, mutate, report_invariants, run
from tests.reports.helpers import jpeg_with_gps

GET_PARAMS = ("service_request_id", "service_code", "start_date", "end_date", "status", "page",
              "page_size", "jurisdiction_id", "locale", "api_key")
POST_FIELDS = ("api_key", "service_code", "description", "lat", "long", "address_string",
               "attribute[postal_code]", "attribute[school]", "attribute[line]", "attribute[stop]",
               "attribute[make]", "attribute[colour]", "attribute[plate]", "attribute[police_declaration]",
               "occurred_on",
               "email", "phone", "agency_nis", "jurisdiction_id", "locale", "first_name",
               "media_url", "device_id")


def query(pairs: list[tuple[str, str]], raw_tail: str = "") -> str:
    return "&".join(f"{quote(n, safe='[]')}={quote(v, safe='')}" for n, v in pairs) + raw_tail


def test_get_requests_survives_hostile_filters(app: Flask, client: FlaskClient,
                                               ixelles_reader: Key) -> None:
    reference = file_report(client, ixelles_reader)

    def check(value: tuple) -> None:
        pairs, fmt, tail = value
        response = client.get(f"{API}/requests.{fmt}?{query(pairs, tail)}")
        data = check_open311(response, fmt)
        assert response.status_code in (200, 400, 403), response.status_code
        if response.status_code == 200 and fmt == "json":
            assert isinstance(data, list)
            assert all(item["service_request_id"].startswith("BX-") for item in data)

    run(app, 25, 12, st.tuples(
        st.lists(st.tuples(st.sampled_from(GET_PARAMS), hostile()), max_size=4),
        st.sampled_from(("json", "xml")),
        st.sampled_from(("", "&status=%FF%FE", "&service_code=%C3%28", "&page=%00", "&start_date=%ED%A0%80",
                         "&api_key=" + ixelles_reader.raw, "&service_request_id=" + reference))), check,
        ([("page", "1e309"), ("page_size", "NaN")], "xml", ""),
        ([("start_date", "2026-11-20T25:00:00+99:00"), ("end_date", "-1")], "json", ""),
        ([("service_request_id", reference + ",<script>,' OR 1=1 --")], "xml", "&api_key=" + ixelles_reader.raw))


def test_api_addresses_survive_hostile_names(app: Flask, client: FlaskClient, submitter: Key) -> None:
    file_report(client, submitter)

    def check(value: tuple) -> None:
        text, template, method, fmt = value
        path = template.format(x=quote(text, safe=""), fmt=fmt)
        response = client.open(path, method=method)
        # The format is the URL's suffix; where the name ate it, JSON.
        check_open311(response, "xml" if urlsplit(path).path.endswith(".xml") else "json")
        assert response.status_code in (200, 400, 403, 404, 405), (path, method, response.status_code)

    run(app, 40, 15, st.tuples(
        hostile().filter(bool),
        st.sampled_from((f"{API}/services/{{x}}.{{fmt}}", f"{API}/requests/{{x}}.{{fmt}}",
                         f"{API}/tokens/{{x}}.{{fmt}}", f"{API}/{{x}}.{{fmt}}", "/open311/{x}",
                         f"{API}/discovery.{{fmt}}?locale={{x}}", f"{API}/services.{{fmt}}?jurisdiction_id={{x}}",
                         f"{API}/requests/{{x}}")),
        st.sampled_from(("GET", "POST", "PUT", "DELETE", "PATCH")), st.sampled_from(("json", "xml"))), check,
        ("%FF%FE", f"{API}/services/{{x}}.{{fmt}}", "GET", "xml"),
        ("a\x00b", f"{API}/requests/{{x}}.{{fmt}}", "GET", "json"))


def test_post_requests_survives_hostile_fields(app: Flask, client: FlaskClient, submitter: Key) -> None:
    base = {"api_key": submitter.raw, "service_code": "vandalism", "description": "Graffiti on the shelter",
            "jurisdiction_id": JURISDICTION, **FLAGEY_IXELLES}
    filed = {"n": 0}

    def check(value: tuple) -> None:
        pairs, encoding, fmt, media, idempotency = value
        if media is not None and encoding == "multipart":
            pairs = [*pairs, ("media", (io.BytesIO(jpeg_with_gps() if media == "real" else media), "m.jpg"))]
        headers = {"Idempotency-Key": idempotency} if idempotency else {}
        before = count(app, Report), count(app, ReportEvent)
        response = client.post(f"{API}/requests.{fmt}", headers=headers, **body(pairs, encoding))
        data = check_open311(response, fmt)
        reports, events = count(app, Report) - before[0], count(app, ReportEvent) - before[1]
        assert response.status_code in (200, 400, 403, 404, 413), response.status_code
        if response.status_code == 200:
            assert (reports, events) in ((1, 1), (0, 0)), (reports, events)  # (0, 0): same Idempotency-Key
            filed["n"] += reports
            if fmt == "json":
                assert data[0]["service_request_id"].startswith("BX-")
        else:
            assert (reports, events) == (0, 0), (response.status_code, reports, events)
        report_invariants(app)

    run(app, 45, 18, st.tuples(
        mutate(base, POST_FIELDS), st.sampled_from(ENCODINGS), st.sampled_from(("json", "xml")),
        st.sampled_from((None, b"", b"GIF89a<script>", "real")),
        st.one_of(st.just(""), st.sampled_from(("k" * 201, "same-key", "<script>", "' OR 1=1 --"))))
        , check,
        ([*base.items(), ("description", "<script>alert(1)</script>\x1b[2J")], "multipart", "xml", "real", "same-key"),
        ([*base.items(), ("lat", "NaN"), ("long", "Infinity")], "urlencoded", "json", None, ""),
        ([("lat", "1e309"), *base.items()], "urlencoded", "json", None, ""))
    assert filed["n"] >= 1
