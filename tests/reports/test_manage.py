"""The staff workspace: who sees what (as a table), every action, conflicts, export."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from portal.notify.models import OutboxMessage
from portal.reports.models import Report
from tests.outbox import rendered
from tests.reports.helpers import jpeg_with_gps, post_report
from tests.staff import action_fields, login, make_user

ROLES = {
    "anonymous": None,
    "staff-own": ("own@ixelles.example", "staff", ("21009",)),
    "staff-other": ("other@bruxelles.example", "staff", ("21004",)),
    "coordinator": ("coord@region.example", "coordinator", ()),
    "organiser": ("org@courses.example", "organiser", ()),
    "admin": ("admin@region.example", "admin", ()),
}


@dataclass
class World:
    reference: str
    photo_id: int
    tracking_path: str


@pytest.fixture
def world(app: Flask) -> World:
    for spec in ROLES.values():
        if spec:
            make_user(app, *spec)
    resident = app.test_client()
    response = post_report(resident, "fr", "vandalism", postal_code="1050", municipality="21009",
                           email="resident@example.org",
                           photos=(io.BytesIO(jpeg_with_gps()), "a.jpg"))
    assert response.status_code == 303
    done = resident.get(response.headers["Location"]).get_data(as_text=True)
    tracking = re.search(r'href="http://[^/"]+(/fr/track/[^"]+)"', done).group(1)
    with app.app_context():
        report = db.session.scalar(select(Report))
        return World(report.reference, report.photos[0].id, tracking)


def client_as(app: Flask, role: str) -> FlaskClient:
    client = app.test_client()
    if ROLES[role]:
        assert login(client, ROLES[role][0]).status_code == 303
    return client


GET_URLS = ["/fr/manage/reports", "/fr/manage/reports/export.csv", "/fr/manage/reports/{ref}",
            "/fr/manage/reports/{ref}/photos/{photo}", "/fr/manage/reports?q={ref}",
            "/fr/manage/statistics", "/fr/manage/reports/map", "/fr/manage/", "/fr/manage/reports/{ref}/print",
            "/fr/manage/statistics?preset=custom&first=2026-01-01&last=2026-12-31", "/fr/manage/access-log"]
ACTIONS = ["acknowledge", "note", "answer", "status", "assign", "transfer", "take", "assign_me"]
#: The form prefix of each action of the report page, where it is not the action's name.
PREFIXES = {"acknowledge": "ack", "assign_me": "me"}
EXPECTED_GET = {  # role -> status per URL of GET_URLS
    "anonymous": [302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302],
    "staff-own": [200, 200, 200, 200, 200, 200, 200, 302, 200, 200, 403],
    "staff-other": [200, 200, 404, 404, 200, 200, 200, 302, 404, 200, 403],
    "coordinator": [200, 200, 200, 200, 200, 200, 200, 302, 200, 200, 403],
    "organiser": [403, 403, 403, 403, 403, 403, 403, 302, 403, 403, 403],
    "admin": [403, 403, 403, 403, 403, 403, 403, 200, 403, 403, 200],
}
EXPECTED_POST = {"anonymous": 400, "staff-own": 303, "staff-other": 404, "coordinator": 303,
                 "organiser": 403, "admin": 403}
SEES_REFERENCE = {"staff-own", "coordinator"}


@pytest.mark.parametrize("role", list(ROLES))
def test_every_staff_url_for_every_role(app: Flask, world: World, role: str) -> None:
    client = client_as(app, role)
    statuses = []
    for url in GET_URLS:
        response = client.get(url.format(ref=world.reference, photo=world.photo_id))
        statuses.append(response.status_code)
        if response.status_code == 200 and ("/reports?" in url or url.endswith(("/reports", ".csv"))):
            # The report appears as a link (list, search) or a row (export); a typed search
            # term echoed in the search box is not a leak.
            body = response.get_data(as_text=True)
            shown = (re.search(f'/manage/reports/{world.reference}["?]', body) is not None
                     if "csv" not in url else world.reference in body)
            assert shown == (role in SEES_REFERENCE), url
    assert statuses == EXPECTED_GET[role]


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_for_every_role(app: Flask, world: World, role: str, action: str) -> None:
    owner = client_as(app, "staff-own")
    page = owner.get(f"/fr/manage/reports/{world.reference}").get_data(as_text=True)
    prefix = PREFIXES.get(action, action)
    data = {**action_fields(page, prefix), "note-text": "x", "answer-text": "y",
            "status-status": "in_progress", "assign-assignee": "", "transfer-municipality": "21004",
            "transfer-reason": "wrong place"}
    client = client_as(app, role) if role != "staff-own" else owner
    if role not in ("staff-own", "anonymous"):
        # Their own page's CSRF token: a real attacker with an account, not a CSRF failure.
        other_page = client.get("/fr/manage/", follow_redirects=True).get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', other_page)
        if token:
            data[f"{prefix}-csrf_token"] = token.group(1)
    response = client.post(f"/fr/manage/reports/{world.reference}/{action}", data=data)
    assert response.status_code == EXPECTED_POST[role]
    with app.app_context():
        report = db.session.scalar(select(Report))
        changed = len(report.events) > 1
    assert changed == (EXPECTED_POST[role] == 303)


def test_actions_without_csrf_are_refused(app: Flask, world: World) -> None:
    client = client_as(app, "staff-own")
    page = client.get(f"/fr/manage/reports/{world.reference}").get_data(as_text=True)
    fields = action_fields(page, "note")
    fields.pop("note-csrf_token")
    response = client.post(f"/fr/manage/reports/{world.reference}/note", data={**fields, "note-text": "x"})
    assert response.status_code == 400


def test_photo_is_served_privately(app: Flask, world: World) -> None:
    response = client_as(app, "staff-own").get(f"/fr/manage/reports/{world.reference}/photos/{world.photo_id}")
    assert response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["Content-Disposition"].startswith("inline;")


def test_the_ixelles_queue_in_dutch(app: Flask, world: World) -> None:
    """The issue's scenario: acknowledge, answer (the reporter sees it in French), transfer, close."""
    ixelles = client_as(app, "staff-own")
    url = f"/nl/manage/reports/{world.reference}"
    page = ixelles.get(url).get_data(as_text=True)
    assert 'lang="nl"' in page and "Vandalisme en beschadiging" in page
    assert ixelles.post(url + "/acknowledge", data=action_fields(page, "ack")).status_code == 303
    page = ixelles.get(url).get_data(as_text=True)
    assert "Ontvangst bevestigd door de gemeente" in page
    answer = "Nous avons transmis les faits aux gardiens de la paix."
    assert ixelles.post(url + "/answer", data={**action_fields(page, "answer"),
                                               "answer-text": answer}).status_code == 303
    # The reporter sees the answer on the tracking page, in French, and got an e-mail in French.
    resident = app.test_client()
    tracking = resident.get(world.tracking_path, follow_redirects=True).get_data(as_text=True)
    assert answer in tracking and "Réponse de la commune" in tracking and "Pris en compte par la commune" in tracking
    with app.app_context():
        mail = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.recipient == "resident@example.org").order_by(OutboxMessage.id)).all()[-1]
        mail = rendered(mail)
        assert mail.language == "fr" and answer in mail.body and world.reference in mail.subject
    # Transfer to the City of Brussels: it leaves Ixelles' list and enters Brussels'.
    page = ixelles.get(url).get_data(as_text=True)
    response = ixelles.post(url + "/transfer", data={**action_fields(page, "transfer"),
                                                     "transfer-municipality": "21004",
                                                     "transfer-reason": "Avenue Louise, côté Bruxelles"})
    assert response.headers["Location"] == "/nl/manage/reports"
    assert ixelles.get(url).status_code == 404
    assert world.reference not in ixelles.get("/nl/manage/reports").get_data(as_text=True)
    brussels = client_as(app, "staff-other")
    assert world.reference in brussels.get("/fr/manage/reports").get_data(as_text=True)
    page = brussels.get(f"/fr/manage/reports/{world.reference}").get_data(as_text=True)
    assert "Transféré de Ixelles à Bruxelles" in page or "Ixelles" in page
    assert "Avenue Louise, côté Bruxelles" in page
    # Close it; every step is in the timeline.
    response = brussels.post(f"/fr/manage/reports/{world.reference}/status",
                             data={**action_fields(page, "status"), "status-status": "resolved"})
    assert response.status_code == 303
    with app.app_context():
        report = db.session.scalar(select(Report))
        assert report.status == "resolved" and report.closed_at is not None
        assert [e.kind for e in report.events] == ["created", "status", "answer", "transfer", "status"]
        assert report.municipality_nis == "21004"


def test_a_concurrent_change_is_never_overwritten(app: Flask, world: World) -> None:
    first, second = client_as(app, "staff-own"), client_as(app, "coordinator")
    url = f"/fr/manage/reports/{world.reference}"
    page_first, page_second = first.get(url).get_data(as_text=True), second.get(url).get_data(as_text=True)
    assert first.post(url + "/status", data={**action_fields(page_first, "status"),
                                             "status-status": "in_progress"}).status_code == 303
    response = second.post(url + "/status", data={**action_fields(page_second, "status"),
                                                   "status-status": "closed"}, follow_redirects=True)
    assert "Un collègue a modifié ce signalement" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Report)).status == "in_progress"


def test_duplicate_needs_a_visible_report(app: Flask, world: World) -> None:
    client = client_as(app, "staff-own")
    url = f"/fr/manage/reports/{world.reference}"
    page = client.get(url).get_data(as_text=True)
    response = client.post(url + "/status", data={**action_fields(page, "status"), "status-status": "duplicate",
                                                   "status-duplicate_of": "BX-2222-2222"}, follow_redirects=True)
    assert "Indiquez la référence de l&#39;autre signalement" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Report)).status == "new"


def test_export_is_utf8_with_bom_and_contact_only_for_staff(app: Flask, world: World) -> None:
    staff = client_as(app, "staff-own").get("/fr/manage/reports/export.csv")
    assert staff.data.startswith("\ufeff".encode())
    text = staff.data.decode("utf-8-sig")
    assert world.reference in text and "resident@example.org" in text and "Ixelles" in text
    coordinator = client_as(app, "coordinator").get("/fr/manage/reports/export.csv").data.decode("utf-8-sig")
    assert world.reference in coordinator and "resident@example.org" not in coordinator


def test_export_reads_the_reports_once(app: Flask, world: World) -> None:
    """A fixed number of statements whatever the number of reports (no query per report)."""
    from sqlalchemy import event

    from portal.extensions import db as database

    resident = app.test_client()
    for _ in range(6):
        post_report(resident, "fr", "burglary", postal_code="1050", municipality="21009")
    client = client_as(app, "staff-own")
    client.get("/fr/manage/reports")  # the session and the user are loaded once
    statements: list[str] = []
    with app.app_context():
        engine = database.engine

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        text = client.get("/fr/manage/reports/export.csv").data.decode("utf-8-sig")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # Counted as whole references: "BX-9ABX-…" holds "BX-" twice.
    assert len(re.findall(r"\bBX-[0-9A-Z]{4}-[0-9A-Z]{4}\b", text)) == 7
    report_reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")
                    and "FROM report" in s]
    assert len(report_reads) == 1, report_reads


def test_counts_per_status_read_only_the_list_index(app: Flask, world: World) -> None:
    """The counts every list page shows come from ``report_count`` (a few hundred rows); with
    a filter that table cannot answer (dates), from an index of the municipality's reports:
    with a million reports, reading each from the table took 110 ms for one municipality."""
    from sqlalchemy import text

    from portal.accounts.services import find_user
    from portal.reports import triage

    with app.app_context():
        if db.engine.url.get_backend_name() != "sqlite":
            definition = db.session.scalar(text(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_report_triage'"))
            assert "(municipality_nis, status, created_at) WHERE (spam IS FALSE)" in definition
            return
        from sqlalchemy import event

        def plan_of(args: dict[str, str], email: str = "own@ixelles.example") -> str:
            statements: list[tuple[str, object]] = []

            def keep(_conn, _cursor, statement, parameters, *_args) -> None:  # type: ignore[no-untyped-def]
                statements.append((statement, parameters))

            event.listen(db.engine, "before_cursor_execute", keep)
            try:
                triage.status_counts(find_user(email), triage.parse_filters(args))
            finally:
                event.remove(db.engine, "before_cursor_execute", keep)
            statement, parameters = statements[-1]
            return " ".join(row[-1] for row in db.session.connection().exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement, parameters))

        plan = plan_of({})
        assert "report_count" in plan and " report " not in f"{plan} ", plan
        # Counted: from an index of the municipality's reports, never the whole table.
        plan = plan_of({"from": "2020-01-01"})
        assert "SEARCH report USING" in plan and "(municipality_nis=?" in plan, plan
        assert "SCAN report" not in plan, plan
        # Overdue, for a coordinator (the whole Region): the partial index of open reports.
        plan = plan_of({"overdue": "1"}, "coord@region.example")
        assert "USING INDEX ix_report_open" in plan or "COVERING INDEX ix_report_open" in plan, plan


def test_list_filters_and_keyset_pages(app: Flask, world: World) -> None:
    from portal.accounts.services import find_user
    from portal.reports import triage

    resident = app.test_client()
    for _ in range(4):
        post_report(resident, "fr", "burglary", postal_code="1050", municipality="21009")
    with app.app_context():
        user = find_user("own@ixelles.example")
        filters = triage.parse_filters({"category": "burglary"})
        first = triage.work_list(user, filters, size=2)
        second = triage.work_list(user, filters, first.next_cursor, size=2)
        refs = [r.reference for r in first.reports + second.reports]
        assert len(set(refs)) == 4 and first.next_cursor and second.next_cursor is None
        assert first.counts["new"] == 4
        oldest = triage.work_list(user, triage.parse_filters({"category": "burglary", "sort": "oldest"}), size=4)
        assert [r.reference for r in oldest.reports] == list(reversed(refs))
    client = client_as(app, "staff-own")
    page = client.get("/fr/manage/reports?category=burglary").get_data(as_text=True)
    assert f'/manage/reports/{world.reference}' not in page
    search = client.get(f"/fr/manage/reports?q={world.reference.lower()}").get_data(as_text=True)
    assert f'/manage/reports/{world.reference}?q=' in search


def test_overdue_is_marked_and_filtered(app: Flask, world: World) -> None:
    from datetime import timedelta

    with app.app_context():
        report = db.session.scalar(select(Report))
        report.acknowledge_due_at = report.created_at - timedelta(days=1)
        db.session.commit()
    client = client_as(app, "staff-own")
    assert world.reference in client.get("/fr/manage/reports?overdue=1").get_data(as_text=True)
    assert "En retard" in client.get(f"/fr/manage/reports/{world.reference}").get_data(as_text=True)


@pytest.mark.parametrize("role", ["staff-own", "staff-other", "coordinator"])
def test_statistics_and_map_only_count_what_the_role_sees(app: Flask, world: World, role: str) -> None:
    client = client_as(app, role)
    stats = client.get("/fr/manage/statistics")
    assert stats.status_code == 200
    html = stats.get_data(as_text=True)
    assert "<svg" in html and 'role="img"' in html
    sees = role != "staff-other"
    assert ("Vandalisme et dégradations</th><td>1</td>" in html) == sees
    assert ("Reports per municipality" in html or "par commune" in html) == (role == "coordinator")
    # the world report has no position: the map lists nothing, but works
    assert client.get("/fr/manage/reports/map").status_code == 200


@pytest.mark.parametrize("role", ["anonymous", "organiser", "admin"])
def test_statistics_and_map_refused_to_other_roles(app: Flask, world: World, role: str) -> None:
    client = client_as(app, role)
    expected = 302 if role == "anonymous" else 403
    assert client.get("/fr/manage/statistics").status_code == expected
    assert client.get("/fr/manage/reports/map").status_code == expected


def test_map_lists_reports_with_a_position(app: Flask, world: World) -> None:
    resident = app.test_client()
    post_report(resident, "fr", "burglary", postal_code="1050", latitude="50.8275", longitude="4.3720")
    html = client_as(app, "staff-own").get("/fr/manage/reports/map").get_data(as_text=True)
    assert '"lat": 50.8275' in html and "leaflet.js" in html and "tile.openstreetmap.org" not in html
