"""Spam, erasure (staff, retention, the reporter's request), the access log, the reporter's export."""
from __future__ import annotations

import base64
import json
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from portal.db import utcnow
from portal.extensions import db
from portal.notify.models import OutboxMessage
from portal.reports.models import AccessLog, MunicipalContact, Report
from portal.reports.privacy import months_ago
from tests.conftest import csrf_token
from tests.outbox import rendered
from tests.reports.helpers import post_report
from tests.reports.test_manage import World, client_as, world  # noqa: F401 - fixture
from tests.staff import action_fields


def report(app: Flask) -> Report:
    with app.app_context():
        found = db.session.scalar(select(Report))
        _ = found.photos, found.events  # load them
        return found


def test_spam_is_hidden_from_lists_and_statistics_but_kept(app: Flask, world: World) -> None:
    client = client_as(app, "staff-own")
    url = f"/fr/manage/reports/{world.reference}"
    page = client.get(url).get_data(as_text=True)
    assert client.post(url + "/spam", data=action_fields(page, "spam")).status_code == 303
    assert f'/manage/reports/{world.reference}"' not in client.get("/fr/manage/reports").get_data(as_text=True)
    spam_list = client.get("/fr/manage/reports?spam=1").get_data(as_text=True)
    assert f'/manage/reports/{world.reference}?spam=1"' in spam_list
    assert "Vandalisme et dégradations</th><td>1</td>" not in client.get("/fr/manage/statistics").get_data(as_text=True)
    assert client.get(url).status_code == 200 and report(app).spam


def test_staff_erase_removes_everything_identifying(app: Flask, world: World) -> None:
    from portal.reports.uploads import store

    with app.app_context():
        photo = db.session.scalar(select(Report)).photos[0].filename
        assert store().exists(photo)
    client = client_as(app, "staff-own")
    url = f"/fr/manage/reports/{world.reference}"
    page = client.get(url).get_data(as_text=True)
    response = client.post(url + "/erase", data={**action_fields(page, "erase"), "erase-reason": "demande du 3 mars"})
    assert response.status_code == 303
    erased = report(app)
    assert (erased.email, erased.phone, erased.description, erased.street, erased.photos) == (None, None, "", "", [])
    assert erased.erased_at is not None and erased.category_code == "vandalism" and erased.postal_code == "1050"
    with app.app_context():
        assert not store().exists(photo)


def test_retention_erases_only_old_closed_reports(app: Flask, world: World) -> None:
    resident = app.test_client()
    post_report(resident, email="recent@example.org")
    with app.app_context():
        old, recent = db.session.scalars(select(Report).order_by(Report.id)).all()
        old.status, old.closed_at = "resolved", utcnow() - timedelta(days=400)
        recent.status, recent.closed_at = "resolved", utcnow() - timedelta(days=30)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["portal", "retention", "run"])
    assert "Erased the personal data of 1 report(s)." in result.output
    with app.app_context():
        old, recent = db.session.scalars(select(Report).order_by(Report.id)).all()
        assert old.email is None and old.erased_at is not None
        assert recent.email == "recent@example.org" and recent.erased_at is None
    assert "0 report(s)" in app.test_cli_runner().invoke(args=["portal", "retention", "run"]).output


def test_months_ago_clips_the_day() -> None:
    from datetime import UTC, datetime

    assert months_ago(datetime(2026, 3, 31, tzinfo=UTC), 1).date().isoformat() == "2026-02-28"
    assert months_ago(datetime(2026, 1, 15, tzinfo=UTC), 12).date().isoformat() == "2025-01-15"


def test_every_view_of_personal_data_is_logged_and_admins_read_it(app: Flask, world: World) -> None:
    staff = client_as(app, "staff-own")
    staff.get(f"/fr/manage/reports/{world.reference}")
    staff.get(f"/fr/manage/reports/{world.reference}/photos/{world.photo_id}")
    staff.get("/fr/manage/reports/export.csv")
    with app.app_context():
        entries = db.session.scalars(select(AccessLog).order_by(AccessLog.id)).all()
        assert [e.what for e in entries] == ["report", "photo", "export"]
        assert entries[0].user.email == "own@ixelles.example"
    assert client_as(app, "coordinator").get("/fr/manage/access-log").status_code == 403
    log = client_as(app, "admin").get("/fr/manage/access-log")
    assert log.status_code == 200 and "own@ixelles.example" in log.get_data(as_text=True)


def test_reporter_downloads_what_the_portal_holds(app: Flask, world: World) -> None:
    resident = app.test_client()
    resident.get(world.tracking_path)
    response = resident.get(f"/fr/track/report/{world.reference}/export.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["reference"] == world.reference and data["email"] == "resident@example.org"
    photo = base64.b64decode(data["photos"][0]["data_base64"])
    assert photo.startswith(b"\xff\xd8") and b"PhoneMaker" not in photo
    assert app.test_client().get(f"/fr/track/report/{world.reference}/export.json").status_code == 404


def test_reporter_asks_for_erasure_and_the_municipality_is_told(app: Flask, world: World) -> None:
    with app.app_context():
        db.session.add(MunicipalContact(municipality_nis="21009", email="ixelles@demo.invalid", language="nl"))
        db.session.commit()
    resident = app.test_client()
    page = resident.get(world.tracking_path, follow_redirects=True).get_data(as_text=True)
    response = resident.post(f"/fr/track/report/{world.reference}/erasure", data={"csrf_token": csrf_token(page)},
                             follow_redirects=True)
    assert "Elle vous répondra dans un délai d&#39;un mois." in response.get_data(as_text=True)
    with app.app_context():
        message = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.recipient == "ixelles@demo.invalid")).one()
        message = rendered(message)
        assert message.language == "nl" and world.reference in message.subject
    assert "erasure_requested" in [e.kind for e in report(app).events]


def test_the_access_log_names_what_was_seen_in_the_readers_language(app: Flask, world: World) -> None:
    staff = client_as(app, "staff-own")
    staff.get(f"/fr/manage/reports/{world.reference}")
    staff.get(f"/fr/manage/reports/{world.reference}/photos/{world.photo_id}")
    export = staff.get("/fr/manage/reports/export.csv?status=new&municipality=21009")
    assert export.status_code == 200 and world.reference in export.get_data(as_text=True)
    admin = client_as(app, "admin")
    french = admin.get("/fr/manage/access-log").get_data(as_text=True)
    assert f"la page du signalement {world.reference}" in french
    assert f"une photo du signalement {world.reference}" in french
    assert "export de 1 signalement\u00a0; filtres\u00a0: statut = reçu, commune = Ixelles" in french
    dutch = admin.get("/nl/manage/access-log").get_data(as_text=True)
    assert f"de pagina van melding {world.reference}" in dutch
    assert "export van 1 melding; filters: status = ontvangen, gemeente = Elsene" in dutch
    assert f"#{world.reference}" not in french and "filters: {" not in french


def test_an_export_not_read_to_the_end_says_so(app: Flask, world: World) -> None:
    from portal.i18n import speaking
    from portal.reports.access_words import describe, export_detail

    with app.app_context(), speaking("en"):
        entry = AccessLog(what="export", detail=export_detail(None, {"overdue": "1"}))
        assert describe(entry) == "export, not finished; filters: overdue only"
        old = AccessLog(what="export", detail="filters: {}")
        assert describe(old) == "export (filters: {})"


def test_messages_to_an_erased_reporter_are_dropped_not_sent(app: Flask, world: World) -> None:
    from portal.notify.sender import SendReport, send_due

    client = client_as(app, "staff-own")
    url = f"/fr/manage/reports/{world.reference}"
    page = client.get(url).get_data(as_text=True)
    assert client.post(url + "/erase", data={**action_fields(page, "erase"),
                                             "erase-reason": "demande"}).status_code == 303
    app.config["MAIL_SERVER"] = ""
    with app.app_context():
        pending = {m.id: m.recipient for m in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.status == "pending"))}
        to_resident = [i for i, r in pending.items() if r == "resident@example.org"]
        assert to_resident  # the confirmation was queued before the erasure
        report_ = send_due()
        assert report_ == SendReport(sent=len(pending) - len(to_resident), dropped=len(to_resident))
        for message_id in to_resident:
            dropped = db.session.get(OutboxMessage, message_id)
            assert dropped.status == "dropped" and dropped.body is None
            assert dropped.last_error.startswith("Gone: report")
        assert send_due() == SendReport()  # never tried again
