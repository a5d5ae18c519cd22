"""Hostile input for the property-based tests of tests/fuzz/, and the checks every answer passes.

The strategies mix fixed payloads (markup, SQL, control characters, wrong types, very long text)
with hypothesis' own text, so that a shrunk failure names the payload that broke a page.
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

#: Payloads whose raw form must never come back in an HTML page (each is a working injection
#: when unescaped). The markers below are what escaping always breaks up.
MARKUP = (
    '<script>alert("fz")</script>',
    '"><img src=x onerror=alert("fz")>',
    "'><svg/onload=alert('fz')>",
    '" autofocus onfocus="alert(1)',
    "</textarea><script>alert(2)</script>",
    "<iframe srcdoc='<script>alert(3)</script>'>",
)
DANGEROUS = ("<script>alert(", "<img src=x onerror", "<svg/onload", '" autofocus onfocus=',
             "</textarea><script", "<iframe srcdoc")
SQL = ("' OR 1=1 --", "'; DROP TABLE report; --", '" OR ""="', "1) UNION SELECT password_hash FROM staff_user--",
       "%' OR '%'='", "\\'; SELECT pg_sleep(0); --", "1; DELETE FROM course_registration")
CONTROL = ("\x00", "a\x00b", "\x1b[2J\x1b[31m", "\r\nSet-Cookie: fz=1", "line\rbreak\nX-Injected: 1",
           "\u202eevil\u202c", "\ufeff", "\u0085\u2028\u2029", "\x7f\x08\x0c", "\t\t", "\u200b\u200d")
WRONG_TYPES = ("NaN", "nan", "Infinity", "-Infinity", "-inf", "1e309", "-0", "0x1A", "1_000", "[]",
               "{}", "null", "true", "[1, 2]", '{"a": 1}', "9" * 400, "-1", "2026-02-30",
               "2026-13-01", "0000-00-00", "99:99", "24:00", "12:60", "\u0663", "\u00b2",
               "\uff11\uff10\uff15\uff10", "1050.0", " 1050 ", "10 50", "2147483648",
               "99999999999999999999999", "2026-11-20T25:00:00+99:00", "1.5e2", "+4.35", "..",
               "BX-0000-0000", "bx 7kq2m9xd")
ENCODING = ("\ufffd", "%FF%FE", "%00", "%C0%AF", "\U0001F4A9", "Ã©Ã¨", "\U0010ffff",
            "é" * 3, "..%2F..%2Fetc%2Fpasswd", "{{7*7}}", "${7*7}", "{% raw %}", "%(ref)s %s %d")
FIXED = MARKUP + SQL + CONTROL + WRONG_TYPES + ENCODING
#: How long "very long" gets: about 100 kB, above every limit of the portal and below the
#: request size limit (10 MB per photo).
LONG_SIZES = (201, 4001, 20_000, 100_000)


def long_text() -> st.SearchStrategy[str]:
    return st.builds(lambda unit, size: (unit * (size // len(unit) + 1))[:size],
                     st.sampled_from(("A", "é", "<", "\x00", "<script>", "' OR 1=1 --", "\U0001F4A9")),
                     st.sampled_from(LONG_SIZES))


def hostile() -> st.SearchStrategy[str]:
    """One hostile value: a fixed payload, random text, both glued together, or a long one."""
    random_text = st.text(max_size=30)  # hypothesis leaves out surrogates, which UTF-8 cannot carry
    fixed = st.sampled_from(FIXED)
    return st.one_of(fixed, random_text,
                     st.builds(lambda a, b, c: a + b + c, random_text, fixed, random_text),
                     long_text())


def is_postgres(app: Flask) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def fuzz_settings(app: Flask, examples: int, postgres_examples: int | None = None) -> settings:
    """Bounded and deterministic; fewer examples on PostgreSQL, where each request costs more."""
    count = postgres_examples if postgres_examples is not None and is_postgres(app) else examples
    return settings(max_examples=count, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.large_base_example])


def run(app: Flask, examples: int, postgres_examples: int | None, strategy: st.SearchStrategy[Any],
        check: Callable[[Any], None], *explicit: Any) -> None:
    """Run ``check`` on ``examples`` values of ``strategy`` (after the ``explicit`` ones).

    The test's fixtures are shared by all examples (one database per test function), so each
    check compares the database before and after its own request.
    """
    from hypothesis import example, given

    def body(value: Any) -> None:
        check(value)

    test = given(strategy)(body)
    for value in reversed(explicit):
        test = example(value)(test)
    fuzz_settings(app, examples, postgres_examples)(test)()


# Requests -------------------------------------------------------------------------------------

Pairs = list[tuple[str, Any]]


def mutate(base: dict[str, str], fields: Iterable[str]) -> st.SearchStrategy[Pairs]:
    """A form body built from ``base``: one field (any) made hostile, sometimes a few more, some
    left out, some sent twice with different values (a list of pairs keeps both)."""
    names = st.sampled_from(sorted(set(fields) | set(base)))
    return st.builds(
        _mutated, st.just(base), st.tuples(names, hostile()),
        st.dictionaries(names, hostile(), max_size=2), st.sets(names, max_size=1),
        st.lists(st.tuples(names, hostile()), max_size=1))


def _mutated(base: dict[str, str], primary: tuple[str, str], replaced: dict[str, str],
             dropped: set[str], repeated: list[tuple[str, str]]) -> Pairs:
    replaced = {**replaced, primary[0]: primary[1]}
    dropped = dropped - {primary[0]}
    pairs = [(name, replaced.get(name, value)) for name, value in base.items() if name not in dropped]
    pairs += [(name, value) for name, value in replaced.items() if name not in base]
    # Repeated ones go first: a form reads the first value of a name, so the hostile one counts.
    return repeated + pairs


#: How a body is sent: as a browser does (multipart or urlencoded), or as raw bytes carrying
#: invalid UTF-8 (raw and percent-encoded).
ENCODINGS = ("multipart", "urlencoded", "raw-invalid-utf8", "percent-invalid-utf8")


def body(pairs: Pairs, encoding: str) -> dict[str, Any]:
    """Keyword arguments of the test client's ``post`` for ``pairs`` sent as ``encoding``."""
    from werkzeug.datastructures import MultiDict

    if encoding == "multipart":
        return {"data": MultiDict(pairs), "content_type": "multipart/form-data"}
    parts = []
    for index, (name, value) in enumerate(pairs):
        if not isinstance(value, str):
            continue  # files only go as multipart
        encoded = quote(value, safe="").encode("ascii")
        if index == 0 and encoding == "raw-invalid-utf8":
            encoded = b"\xff\xfe\xc3(" + encoded + b"\xed\xa0\x80"  # not UTF-8, and a lone surrogate
        elif index == 0 and encoding == "percent-invalid-utf8":
            encoded = b"%FF%FE%C3%28" + encoded + b"%ED%A0%80"
        parts.append(quote(name, safe="[]").encode("ascii") + b"=" + encoded)
    return {"data": b"&".join(parts), "content_type": "application/x-www-form-urlencoded"}


def texts_of(pairs: Iterable[tuple[str, Any]]) -> list[str]:
    return [value for _name, value in pairs if isinstance(value, str)]


# Checks ---------------------------------------------------------------------------------------

_TAG_START = re.compile(r"<[A-Za-z/!?]")


def check_page(response: Any, sent: Iterable[str] = ()) -> str:
    """Never a 5xx; an HTML page never carries the raw form of markup it was sent."""
    assert response.status_code < 500, (response.request.method, response.request.full_path[:300],
                                         response.status_code, response.get_data(as_text=True)[:2000])
    content_type = response.headers.get("Content-Type", "")
    text = response.get_data(as_text=True)
    if content_type.startswith("text/html"):
        for marker in DANGEROUS:
            assert marker not in text, f"unescaped {marker!r} in {response.request.path}"
        for value in sent:
            if len(value) >= 6 and _TAG_START.search(value):
                assert value.strip() not in text, f"raw markup echoed: {value[:80]!r}"
    for name, value in response.headers.items():
        assert "\n" not in value and "\r" not in value and "\x00" not in value, (name, value)
    return text


def check_open311(response: Any, fmt: str) -> Any:
    """An Open311 answer: a 2xx document, or an error list whose codes are the HTTP status."""
    assert response.status_code < 500, (response.request.method, response.request.full_path,
                                         response.status_code, response.get_data(as_text=True)[:2000])
    if fmt == "xml":
        assert response.headers["Content-Type"].startswith("text/xml"), (
            response.request.method, response.request.full_path, response.headers["Content-Type"])
        root = ET.fromstring(response.data)
        if response.status_code >= 400:
            assert root.tag == "errors", root.tag
            codes = [child.findtext("code") for child in root]
            assert codes and all(code == str(response.status_code) for code in codes), codes
            assert all(child.findtext("description") for child in root)
        return root
    assert response.headers["Content-Type"].startswith("application/json"), (
        response.request.method, response.request.full_path, response.headers["Content-Type"])
    data = json.loads(response.data)
    if response.status_code >= 400:
        assert isinstance(data, list) and data, data
        assert all(set(item) == {"code", "description"} and item["code"] == response.status_code
                   and isinstance(item["description"], str) and item["description"] for item in data), data
    return data


def count(app: Flask, model: Any, *where: Any) -> int:
    from portal.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def report_invariants(app: Flask) -> None:
    """Every report is whole: exactly one 'created' event, a municipality, a reference, a
    tracking hash, a description (until erased), and each of its photos' files is stored."""
    from portal.extensions import db
    from portal.reports import uploads
    from portal.reports.models import EventKind, Report, ReportEvent, ReportPhoto

    with app.app_context():
        created = (select(func.count(ReportEvent.id))
                   .where(ReportEvent.report_id == Report.id, ReportEvent.kind == EventKind.CREATED)
                   .scalar_subquery())
        broken = db.session.scalars(select(Report.reference).where(created != 1)).all()
        assert not broken, broken
        incomplete = db.session.scalars(select(Report.reference).where(
            (Report.municipality_nis == "") | (Report.tracking_hash == "") | (Report.postal_code == "")
            | ((func.trim(Report.description) == "") & Report.erased_at.is_(None)))).all()
        assert not incomplete, incomplete
        for name in db.session.scalars(select(ReportPhoto.filename)):
            assert uploads.store().path(name).is_file(), name
        db.session.remove()


def registration_invariants(app: Flask) -> None:
    """Every registration is whole: a private link, an active key while active, a name and an
    e-mail while its data is kept."""
    from portal.courses.models import BookingLink, Registration
    from portal.extensions import db

    with app.app_context():
        links = (select(func.count(BookingLink.id))
                 .where(BookingLink.registration_id == Registration.id).scalar_subquery())
        orphans = db.session.scalars(select(Registration).where(links < 1)).all()
        assert not orphans, [r.id for r in orphans]
        for registration in db.session.scalars(select(Registration)):
            assert registration.name and registration.email and registration.purpose
            assert registration.name == " ".join(registration.name.split())
        db.session.remove()
