"""What the reporter and staff are told: every status change, transfers, assignments, the
municipality's digest of new reports, and the staff page's list of what the reporter was told."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from portal.accounts.models import StaffUser
from portal.db import utcnow
from portal.extensions import db
from portal.notify.models import OutboxMessage
from portal.notify.sender import SendReport, send_due
from portal.reports.models import MunicipalContact, Report
from tests.outbox import Mail, mails
from tests.reports.helpers import post_report
from tests.reports.test_manage import World, client_as, world  # noqa: F401 - fixture
from tests.staff import action_fields, make_user

RESIDENT = "resident@example.org"

#: status → (language, words the subject has, words the body has) for each language.
STATUS_WORDS = {
    "acknowledged": {"fr": ("a été lu", "Vous recevrez un message"),
                     "nl": ("is gelezen", "U krijgt een bericht"),
                     "en": ("has been read", "You will get a message")},
    "resolved": {"fr": ("est résolu", "Si le problème revient"),
                 "nl": ("is opgelost", "Komt het probleem terug"),
                 "en": ("has been resolved", "If the problem comes back")},
    "closed": {"fr": ("est clôturé", "sans suite"),
               "nl": ("is afgesloten", "zonder verder gevolg"),
               "en": ("has been closed", "without further action")},
    # A complaint is made at a police station of the zone (101 is the police's emergency number)
    "referred": {"fr": ("transmis à la police", "rendez-vous dans un commissariat de la zone de police"),
                 "nl": ("doorgegeven aan de politie", "naar een politiekantoor van de politiezone"),
                 "en": ("passed to the police", "go to a police station of the police zone")},
}


def to_resident(app: Flask, kind: str | None = None) -> list[Mail]:
    return [m for m in mails(app, RESIDENT) if kind is None or m.kind == kind]


def set_language(app: Flask, lang: str) -> None:
    with app.app_context():
        db.session.execute(update(Report).values(language=lang))
        db.session.commit()


def change(client: FlaskClient, reference: str, action: str, **fields: str) -> None:
    url = f"/fr/manage/reports/{reference}"
    page = client.get(url).get_data(as_text=True)
    prefix = "ack" if action == "acknowledge" else action
    response = client.post(f"{url}/{action}", data={**action_fields(page, prefix), **fields})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_each_status_change_tells_the_reporter_in_their_language(app: Flask, world: World,
                                                                 lang: str) -> None:
    set_language(app, lang)
    staff = client_as(app, "staff-own")
    change(staff, world.reference, "acknowledge")
    change(staff, world.reference, "status", **{"status-status": "in_progress"})  # not told
    for status in ("resolved", "acknowledged", "closed", "acknowledged", "referred"):
        if status != "acknowledged":
            change(staff, world.reference, "status", **{"status-status": status})
        else:
            change(staff, world.reference, "status", **{"status-status": "in_progress"})
    told = to_resident(app, "report_status")
    expected = ["acknowledged", "resolved", "closed", "referred"]
    assert len(told) == len(expected)
    for mail, status in zip(told, expected, strict=True):
        subject_words, body_words = STATUS_WORDS[status][lang]
        assert mail.language == lang
        assert world.reference in mail.subject and subject_words in mail.subject, mail.subject
        assert body_words in mail.body, mail.body
        # 101 is the police's emergency number (in every e-mail's footer, under "-- "), never
        # given as the way to complain
        assert "101" not in mail.body.split("\n-- \n")[0], mail.body
        assert f"/{lang}/track" in mail.body  # where to follow it, in their language


def test_a_duplicate_says_so_without_naming_the_other_report(app: Flask, world: World) -> None:
    other = post_report(app.test_client(), "fr", "vandalism", postal_code="1050",
                        municipality="21009", email="neighbour@example.org",
                        description="Tags sur la façade du 12, rue Secrète")
    assert other.status_code == 303
    with app.app_context():
        other_ref = db.session.scalars(select(Report.reference).order_by(Report.id)).all()[-1]
    staff = client_as(app, "staff-own")
    change(staff, world.reference, "status", **{"status-status": "duplicate",
                                                 "status-duplicate_of": other_ref})
    [mail] = to_resident(app, "report_status")
    assert "suivi avec un autre signalement" in mail.subject
    assert "Vous n'avez rien à faire" in mail.body
    assert other_ref not in mail.body and other_ref not in mail.subject
    assert "Secrète" not in mail.body and "neighbour" not in mail.body


def test_no_message_for_a_report_marked_as_spam(app: Flask, world: World) -> None:
    staff = client_as(app, "staff-own")
    change(staff, world.reference, "spam")
    change(staff, world.reference, "status", **{"status-status": "closed"})
    assert to_resident(app, "report_status") == []


def test_a_transfer_tells_the_reporter_where_it_went_not_why(app: Flask, world: World) -> None:
    set_language(app, "nl")
    change(client_as(app, "staff-own"), world.reference, "transfer",
           **{"transfer-municipality": "21004", "transfer-reason": "Avenue Louise, interne notitie"})
    [mail] = to_resident(app, "report_moved")
    assert mail.language == "nl" and "andere gemeente" in mail.subject
    assert "doorgestuurd naar de Stad Brussel, die bevoegd is" in mail.body and "interne notitie" not in mail.body
    assert "De preventiedienst van de Stad Brussel" in mail.body  # who now handles it signs


def test_staff_get_an_email_when_a_report_is_assigned_to_them(app: Flask, world: World) -> None:
    colleague = make_user(app, "jan@ixelles.example", "staff", ("21009",), name="Jan Peeters",
                          language="nl")
    staff = client_as(app, "staff-own")
    change(staff, world.reference, "assign", **{"assign-assignee": str(colleague)})
    [mail] = mails(app, "jan@ixelles.example")
    assert mail.language == "nl" and mail.subject == f"Melding {world.reference} aan u toegewezen"
    assert "Beste Jan Peeters" in mail.body and "own heeft melding" in mail.body
    assert f"/nl/manage/reports/{world.reference}" in mail.body
    # Taking it oneself sends nothing.
    with app.app_context():
        last = db.session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()))
        own_id = db.session.scalar(select(StaffUser.id).where(StaffUser.email == "own@ixelles.example"))
    change(staff, world.reference, "assign", **{"assign-assignee": str(own_id)})
    with app.app_context():
        assert db.session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc())) == last


def test_the_staff_page_shows_what_the_reporter_was_told(app: Flask, world: World) -> None:
    staff = client_as(app, "staff-own")
    url = f"/fr/manage/reports/{world.reference}"
    change(staff, world.reference, "acknowledge")
    page = staff.get(url).get_data(as_text=True)
    assert "Messages envoyés à l&#39;auteur du signalement" in page
    waiting = re.compile(r"En attente d(&#39;|')envoi depuis")
    told = page.split("Messages envoyés à l&#39;auteur du signalement")[1]
    assert len(waiting.findall(told)) == 2  # received + acknowledged
    app.config["MAIL_SERVER"] = ""
    with app.app_context():
        send_due(now=utcnow() + timedelta(hours=1))
    told = staff.get(url).get_data(as_text=True).split("Messages envoyés à l&#39;auteur du signalement")[1]
    assert told.count("Envoyé le") == 2 and not waiting.findall(told)
    assert f"Votre signalement {world.reference} a été lu" in told
    assert "a lu votre signalement" in told  # the status message's text can be read
    # The confirmation's text carries the reporter's private link: staff see its subject only.
    secret = world.tracking_path.rstrip("/").rsplit("/", 1)[1]
    assert len(secret) > 20 and secret not in told


def ixelles_contact(app: Flask, language: str) -> None:
    with app.app_context():
        db.session.add(MunicipalContact(municipality_nis="21009", email="prev@ixelles.example",
                                        language=language))
        db.session.commit()


def report_in_ixelles(app: Flask) -> None:
    assert post_report(app.test_client(), "fr", "vandalism", postal_code="1050",
                       municipality="21009").status_code == 303


def test_new_reports_reach_the_contact_as_one_digest(app: Flask) -> None:
    app.config.update(NEW_REPORT_DIGEST_MINUTES=15, MAIL_SERVER="")
    ixelles_contact(app, "nl")
    for _ in range(3):
        report_in_ixelles(app)
    with app.app_context():
        references = db.session.scalars(select(Report.reference).order_by(Report.id)).all()
        assert send_due() == SendReport()  # collecting: not before 15 minutes
        assert send_due(now=utcnow() + timedelta(minutes=16)) == SendReport(sent=1)
    [digest] = mails(app, "prev@ixelles.example")
    assert digest.kind == "report_digest_staff" and digest.language == "nl"
    assert digest.subject == "3 nieuwe meldingen voor Elsene"
    for reference in references:
        assert f"/nl/manage/reports/{reference}" in digest.body
    # The digest is sent: the next report starts a new one.
    report_in_ixelles(app)
    later = mails(app, "prev@ixelles.example")
    assert len(later) == 2 and later[1].subject == "1 nieuwe melding voor Elsene"


def test_without_a_digest_each_report_is_sent_at_once(app: Flask) -> None:
    app.config["NEW_REPORT_DIGEST_MINUTES"] = 0
    ixelles_contact(app, "fr")
    for _ in range(2):
        report_in_ixelles(app)
    sent = mails(app, "prev@ixelles.example")
    assert [m.kind for m in sent] == ["report_new_staff", "report_new_staff"]
