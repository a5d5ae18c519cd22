"""Regression tests for what the fuzzing of tests/fuzz/ found, one plain test per bug."""
from __future__ import annotations

import json
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.courses.models import Registration
from portal.extensions import db
from portal.reports.models import Report, ReportEvent
from tests.conftest import csrf_token
from tests.courses.helpers import make_session, post_sign_up
from tests.fuzz.hostile import count
from tests.reports.helpers import post_report
from tests.staff import PASSWORD, action_fields, login, make_user

# A NUL character: PostgreSQL text cannot hold it (psycopg raised DataError, shown as a 503
# "maintenance" page and the report lost); SQLite stored it. Now refused the same way on both.

def test_a_nul_character_in_a_form_is_refused_and_nothing_is_stored(app: Flask, client: FlaskClient) -> None:
    response = post_report(client, description="Graffiti\x00 on the wall")
    assert response.status_code == 400
    assert "La demande n'a pas pu être comprise" in response.get_data(as_text=True)  # the page, in French
    assert count(app, Report) == 0 and count(app, ReportEvent) == 0
    assert post_report(client, description="Graffiti on the wall").status_code == 303  # the same form, clean


def test_a_nul_character_in_a_course_sign_up_is_refused(app: Flask, client: FlaskClient) -> None:
    session_id = make_session(app)
    assert post_sign_up(client, session_id, name="Amina\x00 Lambert").status_code == 400
    assert count(app, Registration) == 0


def test_a_nul_character_in_an_address_is_a_404(app: Flask, client: FlaskClient) -> None:
    for path in ("/fr/report/new/vandal%00ism", "/fr/track/report/BX-%00", "/nl/courses/booking/a%00b"):
        assert client.get(path).status_code == 404, path
    for path in ("/open311/v2/services/vandal%00ism.json", "/open311/v2/requests/BX%00.json"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert json.loads(response.data)[0]["code"] == 404


def test_a_nul_character_in_an_api_query_or_body_is_an_open311_400(app: Flask, client: FlaskClient) -> None:
    response = client.get("/open311/v2/requests.xml?service_code=vandal%00ism")
    assert response.status_code == 400
    assert re.search(rb"<errors><error><code>400</code><description>[^<]+</description>", response.data)
    response = client.post("/open311/v2/requests.json", data={"service_code": "vandalism",
                                                              "description": "a\x00b"})
    assert response.status_code == 400 and json.loads(response.data)[0]["code"] == 400
    assert client.get("/fr/courses/?type=%00").status_code == 400


# A submission key longer than its 64-character column: PostgreSQL refused the insert (503,
# report lost). The key is cut to the column; the same long key twice still makes one report.

def test_an_overlong_submission_key_still_files_one_report(app: Flask, client: FlaskClient) -> None:
    first = post_report(client, submission_key="k" * 500)
    assert first.status_code == 303, first.status_code
    again = post_report(client, submission_key="k" * 500)
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert count(app, Report) == 1
    with app.app_context():
        assert db.session.scalar(select(Report.submission_key)) == "k" * 64


def test_an_overlong_submission_key_still_signs_up_once(app: Flask, client: FlaskClient) -> None:
    session_id = make_session(app)
    first = post_sign_up(client, session_id, submission_key="s" * 300)
    assert first.status_code == 303, first.status_code
    assert post_sign_up(client, session_id, submission_key="s" * 300).status_code == 303
    assert count(app, Registration) == 1


# A session number beyond a database integer: SQLite raised OverflowError (500), PostgreSQL
# DataError (503). Such a number is now no route at all.

def test_a_huge_session_number_is_a_404(app: Flask, client: FlaskClient) -> None:
    for path in ("/fr/courses/2147483648", "/fr/courses/99999999999999999999",
                 "/nl/courses/9223372036854775808/calendar.ics"):
        assert client.get(path).status_code == 404, path
        # (The calendar takes no POST whatever the number: Werkzeug says so first.)
        assert client.post(path, data={"name": "x"}).status_code == (405 if path.endswith(".ics") else 404)
    session_id = make_session(app)
    assert client.get(f"/fr/courses/{session_id}").status_code == 200


# The log-in's "next": "/<TAB>/evil.example" passed the check, and browsers drop tabs and line
# breaks from URLs, so the staff member landed on //evil.example after logging in.

def test_login_never_redirects_through_a_control_character(app: Flask) -> None:
    make_user(app, "staff@ixelles.example", "staff", ("21009",))
    for target in ("/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "/\x0b/evil.example"):
        client = app.test_client()
        page = client.get("/fr/manage/login").get_data(as_text=True)
        response = client.post("/fr/manage/login", query_string={"next": target},
                               data={"csrf_token": csrf_token(page), "email": "staff@ixelles.example",
                                     "password": PASSWORD})
        assert response.status_code == 303
        assert response.headers["Location"] == "/fr/manage/", (target, response.headers["Location"])
    client = app.test_client()
    page = client.get("/fr/manage/login").get_data(as_text=True)
    response = client.post("/fr/manage/login", query_string={"next": "/fr/manage/reports?status=new"},
                           data={"csrf_token": csrf_token(page), "email": "staff@ixelles.example",
                                 "password": PASSWORD})
    assert response.headers["Location"] == "/fr/manage/reports?status=new"


# The staff "assign" action read the colleague with str.isdigit(), which accepts "²" (int()
# refuses it) and 5,000 digits (int() refuses those too): a 500.

def test_assign_with_a_non_ascii_digit_or_a_huge_number_is_no_error(app: Flask) -> None:
    make_user(app, "staff@ixelles.example", "staff", ("21009",))
    response = post_report(app.test_client(), postal_code="1050", municipality="21009")
    reference = response.headers["Location"].rsplit("/", 1)[1]
    staff = app.test_client()
    assert login(staff, "staff@ixelles.example").status_code == 303
    for value in ("\u00b2", "9" * 5000, "\u0663"):
        page = staff.get(f"/fr/manage/reports/{reference}").get_data(as_text=True)
        response = staff.post(f"/fr/manage/reports/{reference}/assign",
                              data={**action_fields(page, "assign"), "assign-assignee": value})
        assert response.status_code == 303, (value[:10], response.status_code)
    with app.app_context():
        assert db.session.scalar(select(Report)).assigned_to is None


# An API address with a line break matched no rule (no rule's pattern spans lines): a wrong
# method or an unknown name got Werkzeug's bare HTML page instead of an Open311 error.

def test_api_addresses_with_a_line_break_answer_open311(app: Flask, client: FlaskClient) -> None:
    response = client.post("/open311/v2/services/a%0Ab.json")
    assert response.status_code == 405
    assert response.headers["Content-Type"].startswith("application/json")
    assert json.loads(response.data)[0]["code"] == 405
    response = client.put("/open311/v2/requests/a%0Ab.xml")
    assert response.status_code == 405 and response.headers["Content-Type"].startswith("text/xml")
    assert b"<code>405</code>" in response.data
    response = client.get("/open311/a%0Ab")
    assert response.status_code == 404 and json.loads(response.data)[0]["code"] == 404


def test_a_multipart_part_without_a_name_is_no_error(app: Flask, client: FlaskClient) -> None:
    """Werkzeug gives such a part the name None: the NUL check above once tripped on it."""
    body = (b"--b\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n"
            b'--b\r\nContent-Disposition: form-data; name="service_code"\r\n\r\nvandalism\r\n--b--\r\n')
    response = client.post("/open311/v2/requests.json", data=body,
                           content_type="multipart/form-data; boundary=b")
    assert response.status_code == 403  # no key: the API's own answer, not a 500
    assert json.loads(response.data)[0]["code"] == 403
    response = client.post("/fr/track/", data=body, content_type="multipart/form-data; boundary=b")
    assert response.status_code == 422


# The authenticator code kept the characters str.isdigit() accepts ("²", "１"), and
# secrets.compare_digest refuses non-ASCII text with a TypeError: a 500 at log-in.

def test_an_authenticator_code_with_non_ascii_digits_is_just_wrong(app: Flask) -> None:
    make_user(app, "coord@region.example", "coordinator")
    client = app.test_client()
    page = client.get("/fr/manage/login").get_data(as_text=True)
    response = client.post("/fr/manage/login", data={"csrf_token": csrf_token(page), "password": PASSWORD,
                                                     "email": "coord@region.example"})
    assert response.headers["Location"].endswith("/login/code")
    for code in ("12345\u00b2", "\uff11\uff12\uff13\uff14\uff15\uff16", "\u0661\u0662\u0663\u0664\u0665\u0666"):
        page = client.get("/fr/manage/login/code").get_data(as_text=True)
        response = client.post("/fr/manage/login/code", data={"csrf_token": csrf_token(page), "code": code})
        assert response.status_code == 422, (code, response.status_code)
        assert "Ce code n&#39;est pas correct" in response.get_data(as_text=True)


# The organisers' session form read the chosen organiser with str.isdigit(): "²" made int()
# raise, a 500 for the administrator.

def test_a_non_ascii_digit_as_organiser_is_no_error(app: Flask) -> None:
    make_user(app, "admin@region.example", "admin")
    admin = app.test_client()
    assert login(admin, "admin@region.example").status_code == 303
    for value in ("\u00b2", "9" * 5000):
        page = admin.get("/fr/manage/courses/new").get_data(as_text=True)
        response = admin.post("/fr/manage/courses/new", data={"csrf_token": csrf_token(page), "organiser": value})
        assert response.status_code == 422, (value[:10], response.status_code)
