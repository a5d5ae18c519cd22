"""Every address of the portal × hostile query arguments × GET/HEAD/OPTIONS × every role: a clear
4xx (or the page), never a 5xx.

The table is built from ``app.url_map``: a rule added later is in it at once, and a rule whose
arguments this file cannot fill fails the test instead of being left out.
"""
from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from portal.reports.models import Report
from tests.courses.helpers import make_session, sign_up_direct
from tests.reports.helpers import jpeg_with_gps, post_report
from tests.staff import login, make_user

#: One of each kind of workspace (a coordinator reads the same pages as municipal staff).
ROLES = {
    "staff": ("staff@ixelles.example", "staff", ("21009",)),
    "organiser": ("org@courses.example", "organiser", ()),
    "admin": ("admin@region.example", "admin", ()),
}

#: Query arguments some page or the Open311 API reads as a day, a moment or a number.
#: (``api_key``, ``jurisdiction_id`` and ``service_request_id`` are left out: each would end the
#: API's request before its dates are read.)
READ_ARGUMENTS = ("date", "from", "to", "start_date", "end_date", "page", "page_size", "status",
                  "type", "municipality", "language", "category", "q", "sort", "overdue", "mine",
                  "spam", "new", "done", "added", "next", "locale")


def cursor(moment: str, ident: str) -> str:
    """A work-list cursor as the staff list encodes it (see ``triage._encode_cursor``)."""
    return base64.urlsafe_b64encode(f"{moment}|{ident}".encode()).decode().rstrip("=")


def _every(value: str, after: str) -> list[tuple[str, str]]:
    return [(name, value) for name in READ_ARGUMENTS] + [("after", after)]


#: name -> query arguments. Each sets every argument at once to one kind of hostile value.
VARIANTS: dict[str, list[tuple[str, str]]] = {
    # ``_method`` and the other names ``url_for`` takes for itself: a page that passed its
    # query to it failed to render, and so did its error page.
    "url_for names": [("_method", "POST"), ("_external", "1"), ("_scheme", "javascript"),
                      ("_anchor", "x"), ("endpoint", "x"), ("values", "x")],
    "year 1": _every("0001-01-01", cursor("0001-01-01T00:00:00+14:00", "1")),
    "year 9999": _every("9999-12-31", cursor("9999-12-31T23:59:59.999999-14:00", "1")),
    "huge numbers": _every("9" * 23, cursor("2026-01-01T00:00:00+00:00", "9" * 23)),
}
METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass
class World:
    values: dict[str, object]
    #: endpoint -> values for the arguments whose meaning depends on the rule.
    by_endpoint: dict[str, dict[str, object]]


@pytest.fixture
def world(app: Flask) -> World:
    ids = {role: make_user(app, *spec) for role, spec in ROLES.items()}
    resident = app.test_client()
    response = post_report(resident, "fr", "vandalism", postal_code="1050", municipality="21009",
                           email="resident@example.org", photos=(io.BytesIO(jpeg_with_gps()), "a.jpg"))
    assert response.status_code == 303
    done = resident.get(response.headers["Location"]).get_data(as_text=True)
    tracking = re.search(r'href="http://[^/"]+/fr/track/([^"/]+)"', done).group(1)
    session_id = make_session(app)
    with app.app_context():
        from portal.courses.models import CourseSession

        db.session.get(CourseSession, session_id).organiser_id = ids["organiser"]
        db.session.commit()
        report = db.session.scalar(select(Report))
        reference, photo_id = report.reference, report.photos[0].id
    booking = sign_up_direct(app, session_id, "amina@example.be")
    assert booking.token and booking.registration is not None
    return World(
        values={"lang": "en", "session_id": session_id, "registration_id": booking.registration.id,
                "photo_id": photo_id, "contact_id": 1, "user_id": ids["organiser"],
                "filter_id": 1, "template_id": 1,
                "reference": reference, "code": "vandalism", "rest": "v2/nothing.json"},
        by_endpoint={
            "courses.booking": {"token": booking.token}, "courses.accept": {"token": booking.token},
            "courses.cancel": {"token": booking.token}, "courses.decline": {"token": booking.token},
            "tracking.open_link": {"token": tracking},
            "tracking.open_sent_link": {"token": "not-a-signed-link"},
            "accounts.reset_password": {"token": "not-a-token"},
            "manage.act": {"action": "acknowledge"}, "admin.set_active": {"action": "disable"},
            "maps.leaflet": {"filename": "leaflet.js"}, "static": {"filename": "css/portal.css"},
            "open311.request_one": {"name": f"{reference}.json"},
            "open311.service_definition": {"name": "vandalism.json"},
            "open311.token": {"name": "abc.json"},
        })


def addresses(app: Flask, world: World, staff_only: bool) -> list[str]:
    """One address per rule of the URL map, its arguments filled from the world."""
    adapter = app.url_map.bind("localhost")
    paths = []
    for rule in app.url_map.iter_rules():
        values = {**world.values, **world.by_endpoint.get(rule.endpoint, {})}
        needed = rule.arguments - set(rule.defaults or {})
        assert needed <= set(values), f"{rule.rule}: add a value for {sorted(needed - set(values))}"
        path = adapter.build(rule.endpoint, {name: values[name] for name in needed},
                             method=sorted(rule.methods or {"GET"})[0])
        if not staff_only or "/manage/" in path:
            paths.append(path)
    return sorted(paths)


def server_errors(client: FlaskClient, paths: list[str]) -> list[tuple[str, str, str, object]]:
    """(method, path, variant, status) of every answer that was a 5xx. An exception that escapes
    even the error handlers (the test client raises it) is what a WSGI server answers with a 500."""
    found: list[tuple[str, str, str, object]] = []
    for path in paths:
        for variant, query in VARIANTS.items():
            for method in METHODS:
                try:
                    status: object = client.open(f"{path}?{urlencode(query)}", method=method).status_code
                except Exception as error:  # noqa: BLE001 - the very thing this test looks for
                    status = repr(error)[:160]
                if not isinstance(status, int) or status >= 500:
                    found.append((method, path, variant, status))
    return found


def test_no_address_answers_hostile_queries_with_a_server_error_when_anonymous(
        app: Flask, world: World) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    paths = addresses(app, world, staff_only=False)
    assert len(paths) > 70 and any("/manage/courses/" in p for p in paths)
    assert server_errors(app.test_client(), paths) == []


@pytest.mark.parametrize("role", list(ROLES))
def test_no_staff_address_answers_hostile_queries_with_a_server_error(
        app: Flask, world: World, role: str) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    assert login(client, ROLES[role][0]).status_code == 303
    assert server_errors(client, addresses(app, world, staff_only=True)) == []


# The quoted cases, with the answer each now gets ------------------------------------------------

@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_course_list_from_a_day_out_of_range_says_so_at_the_field(app: Flask, world: World,
                                                                     day: str) -> None:
    response = app.test_client().get(f"/en/courses/?date={day}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200  # as for any other bad filter value
    assert "Give a date such as 2026-03-31." in html and f'value="{day}"' in html
    assert "Maison de quartier" in html  # the list is not filtered by a day it cannot use


@pytest.mark.parametrize("query", [
    "from=0001-01-01", "to=9999-12-31", "from=0001-01-01&to=9999-12-31",
    f"after={cursor('0001-01-01T00:00:00', '1')}",
    f"after={cursor('9999-12-31T23:59:59.999999-14:00', '1')}",
    f"after={cursor('2026-01-01T00:00:00+00:00', '9' * 23)}",
])
def test_staff_filters_out_of_range_are_ignored_like_unreadable_ones(app: Flask, world: World,
                                                                      query: str) -> None:
    """They were a 500 on SQLite and a 503 on PostgreSQL. A day no report can have, or a
    cursor no page made, is left out as an unreadable one is: the list, the export and the map
    show what they show without it."""
    client = app.test_client()
    assert login(client, ROLES["staff"][0]).status_code == 303
    reference = str(world.values["reference"])
    listing = client.get(f"/en/manage/reports?{query}")
    assert listing.status_code == 200 and f"/manage/reports/{reference}" in listing.get_data(as_text=True)
    if "after" not in query:
        export = client.get(f"/en/manage/reports/export.csv?{query}")
        assert export.status_code == 200 and reference in export.get_data(as_text=True)
        assert client.get(f"/en/manage/reports/map?{query}").status_code == 200


def test_options_on_the_organisers_pages_without_a_session_is_a_403(app: Flask, world: World) -> None:
    """The role check read ``.role`` of the anonymous user: a 500 for every such address."""
    paths = [p for p in addresses(app, world, staff_only=True) if "/manage/courses/" in p]
    assert len(paths) >= 10
    anonymous = app.test_client()
    assert {path: anonymous.open(path, method="OPTIONS").status_code for path in paths} == dict.fromkeys(paths, 403)
    organiser = app.test_client()
    assert login(organiser, ROLES["organiser"][0]).status_code == 303
    answer = organiser.open("/en/manage/courses/", method="OPTIONS")
    assert answer.status_code == 200 and "GET" in answer.headers["Allow"]
