"""Hostile input on the staff workspace: every action form, the list's filters, the export.

A coordinator (who sees every municipality, so that a transfer does not hide the report) acts
on two reports. An action either changes the report and adds its event, or changes nothing.
"""
from __future__ import annotations

from urllib.parse import quote

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import strategies as st
from sqlalchemy import select

from portal.extensions import db
from portal.reports.models import Report, ReportEvent
from tests.fuzz.hostile import (
    ENCODINGS,
    MARKUP,
    body,
    check_page,
    count,
    hostile,
    mutate,
    report_invariants,
    run,
    texts_of,
)
from tests.reports.helpers import post_report
from tests.staff import action_fields, login, make_user

COORDINATOR = "coord@region.example"
#: Each action's form prefix and its fields with a valid value.
ACTIONS = {
    "acknowledge": ("ack", {}),
    "status": ("status", {"status": "in_progress", "duplicate_of": ""}),
    "assign": ("assign", {"assignee": ""}),
    "note": ("note", {"text": "Called the school."}),
    "answer": ("answer", {"text": "A patrol will pass by."}),
    "transfer": ("transfer", {"municipality": "21004", "reason": "Wrong side of the street."}),
    "spam": ("spam", {}),
    "erase": ("erase", {"reason": "The reporter asked for it."}),
}


def staff_world(app: Flask) -> tuple[FlaskClient, list[str]]:
    make_user(app, COORDINATOR, "coordinator")
    make_user(app, "colleague@ixelles.example", "staff", ("21009",))
    resident = app.test_client()
    references = []
    for payload in (MARKUP[0], MARKUP[1]):
        response = post_report(resident, "fr", "vehicle-theft", postal_code="1050", municipality="21009",
                               email="resident@example.org", description=f"Stolen car {payload}",
                               street=MARKUP[2][:200], make=MARKUP[3], colour=payload,
                               phone="0470 12 34 56")
        assert response.status_code == 303, response.status_code
        references.append(response.headers["Location"].rsplit("/", 1)[1])
    staff = app.test_client()
    assert login(staff, COORDINATOR).status_code == 303
    return staff, references


def state(app: Flask, reference: str) -> tuple[int, int]:
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.reference == reference))
        events = len(report.events)
        db.session.remove()
        return report.version, events


def case() -> st.SearchStrategy:
    def one(action: str) -> st.SearchStrategy:
        prefix, fields = ACTIONS[action]
        names = [f"{prefix}-{name}" for name in (*fields, "csrf_token", "version")]
        return st.tuples(st.just(action), mutate({f"{prefix}-{k}": v for k, v in fields.items()}, names))

    known = st.sampled_from(sorted(ACTIONS)).flatmap(one)
    unknown = st.tuples(hostile().filter(bool), st.just([]))
    return st.tuples(st.one_of(known, known, known, unknown), st.integers(0, 1), st.sampled_from(ENCODINGS))


def test_staff_actions_survive_hostile_fields(app: Flask) -> None:
    staff, references = staff_world(app)
    applied = {"n": 0}

    def check(value: tuple) -> None:
        (action, pairs), which, encoding = value
        reference = references[which]
        page = check_page(staff.get(f"/fr/manage/reports/{reference}"))
        prefix = ACTIONS.get(action, ("x", {}))[0]
        touched = {name for name, _value in pairs}
        pairs = [*pairs, *((n, v) for n, v in action_fields(page, prefix).items() if n not in touched)]
        before = state(app, reference)
        response = staff.post(f"/fr/manage/reports/{reference}/{quote(action, safe='')}",
                              **body(pairs, encoding))
        check_page(response, texts_of(pairs))
        assert response.status_code in (303, 400, 404, 405, 413, 422), response.status_code
        version, events = state(app, reference)
        # Whole or nothing: a new version (an erasure writes the row twice) and one more
        # event, or neither.
        assert events - before[1] in (0, 1), (before, version, events)
        assert (version > before[0]) == (events == before[1] + 1), (before, version, events)
        applied["n"] += events - before[1]
        check_page(staff.get(f"/fr/manage/reports/{reference}"), texts_of(pairs))
        report_invariants(app)

    run(app, 25, 14, case(), check,
        (("note", [("note-text", MARKUP[0])]), 0, "multipart"),
        (("answer", [("answer-text", MARKUP[1])]), 1, "urlencoded"),
        (("assign", [("assign-assignee", "\u00b2")]), 0, "urlencoded"),
        (("assign", [("assign-assignee", "9" * 5000)]), 0, "urlencoded"))
    assert applied["n"] >= 2
    assert count(app, Report) == 2


def test_staff_lists_and_export_survive_hostile_filters(app: Flask) -> None:
    staff, _references = staff_world(app)
    names = ("status", "category", "municipality", "from", "to", "overdue", "mine", "q", "sort",
             "spam", "after")

    def check(value: tuple) -> None:
        pairs, path = value
        query = "&".join(f"{quote(n, safe='')}={quote(v, safe='')}" for n, v in pairs)
        for raw in (query, query + "&q=%FF%FE%00&after=%C3%28"):
            response = staff.get(f"{path}?{raw}")
            text = check_page(response, [v for _n, v in pairs])
            assert response.status_code in (200, 400), response.status_code
            if path.endswith(".csv") and response.status_code == 200:
                assert text.startswith("\ufeff")
                for line in text.splitlines()[1:]:
                    assert not line.startswith(("=", "+", "-", "@")), line

    run(app, 25, 10, st.tuples(st.lists(st.tuples(st.sampled_from(names), hostile()), max_size=5),
                               st.sampled_from(("/fr/manage/reports", "/nl/manage/reports/map",
                                                "/en/manage/reports/export.csv", "/fr/manage/statistics"))),
        check)
    assert count(app, ReportEvent) >= 2
