"""The resident's flows of issue 14: what the tracking page says after "it is over", the reporter's
photos, the privacy notice instead of a tick, the language of the e-mails, the safe contact of a
sensitive report and its quick exit, the compact emergency line."""
from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.accounts.models import StaffUser
from portal.extensions import db
from portal.reports import triage
from portal.reports.models import Report
from tests.conftest import csrf_token
from tests.outbox import Mail, mails
from tests.reports.helpers import (
    file_and_confirm,
    jpeg_with_gps,
    open_form,
    post_report,
)
from tests.staff import login, make_user


def _report(app: Flask) -> Report:
    with app.app_context():
        report = db.session.scalar(select(Report).order_by(Report.id.desc()))
        db.session.expunge(report)
        return report


def _mails(app: Flask, recipient: str) -> list[Mail]:
    return mails(app, recipient)


def _answer(app: Flask, reference: str, text: str) -> None:
    """A staff member of Saint-Gilles answers the report (e-mailed to its reporter)."""
    user_id = make_user(app, "agent@stgilles.invalid", "staff", ("21013",))
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.reference == reference))
        triage.answer(db.session.get(StaffUser, user_id), report, report.version, text)
        db.session.commit()


# Tracking: "it is over" ------------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "kind", "message", "status"), [
    ("fr", "reporter_resolved", "votre signalement est maintenant clôturé comme résolu", "Résolu"),
    ("nl", "reporter_no_longer_needed", "ze is nu afgesloten", "Afgesloten zonder gevolg"),
    ("en", "reporter_resolved", "your report is now closed as resolved", "Resolved"),
])
def test_saying_it_is_over_confirms_shows_the_new_state_and_lands_at_the_message(
        app: Flask, client: FlaskClient, lang: str, kind: str, message: str, status: str) -> None:
    filed = file_and_confirm(client, lang)
    page = client.get(filed.link, follow_redirects=True).get_data(as_text=True)
    assert 'name="kind" value="reporter_resolved"' in page
    response = client.post(f"/{lang}/track/report/{filed.reference}/done",
                           data={"csrf_token": csrf_token(page), "kind": kind})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/{lang}/track/report/{filed.reference}#messages")
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="messages"' in shown and message in shown.replace("\u00a0", " ")
    assert re.search(rf"<dd><strong>{status}</strong></dd>", shown)
    # The buttons that no longer apply are gone: no "it is over", no adding to a closed report.
    assert 'name="kind"' not in shown and 'name="text"' not in shown
    report = _report(app)
    assert report.status == {"reporter_resolved": "resolved",
                             "reporter_no_longer_needed": "closed"}[kind]
    assert report.closed_at is not None
    # A second press (another tab) changes nothing and says so.
    again = client.post(f"/{lang}/track/report/{filed.reference}/done",
                        data={"csrf_token": csrf_token(page), "kind": "reporter_no_longer_needed"})
    assert _report(app).status == report.status
    follow = client.get(again.headers["Location"]).get_data(as_text=True)
    assert {"fr": "déjà clôturé", "nl": "al afgesloten", "en": "already closed"}[lang] in follow


def test_the_tracking_page_shows_the_reporters_photos_and_the_place(app: Flask,
                                                                     client: FlaskClient) -> None:
    filed = file_and_confirm(client, "fr", street="Rue de la Victoire 7",
                             photos=(io.BytesIO(jpeg_with_gps()), "first.jpg"))
    page = client.get(filed.link, follow_redirects=True).get_data(as_text=True)
    # One photo sent with the report, one added later.
    client.post(f"/fr/track/report/{filed.reference}", content_type="multipart/form-data",
                data={"csrf_token": csrf_token(page), "text": "Encore",
                      "photos": (io.BytesIO(jpeg_with_gps()), "later.jpg")})
    page = client.get(f"/fr/track/report/{filed.reference}").get_data(as_text=True)
    urls = re.findall(rf'<img src="(/fr/track/report/{filed.reference}/photos/\d+)"', page)
    assert len(urls) == 2
    assert "Rue de la Victoire 7, 1060 Saint-Gilles" in page
    photo = client.get(urls[0])
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert photo.headers["Cache-Control"] == "private, no-store"
    assert photo.data[:2] == b"\xff\xd8"
    # Without the private link, or with another report's number, nothing.
    assert app.test_client().get(urls[0]).status_code == 404
    assert client.get(f"/fr/track/report/{filed.reference}/photos/999999").status_code == 404


# Privacy notice instead of a consent tick --------------------------------------------------------

@pytest.mark.parametrize(("lang", "text"), [
    ("fr", "Seul ce service voit votre adresse e-mail"),
    ("nl", "Alleen die dienst ziet uw e-mailadres"),
    ("en", "Only that service sees your e-mail address"),
])
def test_an_anonymous_report_needs_no_tick_and_says_who_receives_what(
        app: Flask, client: FlaskClient, lang: str, text: str) -> None:
    html, _hidden = open_form(client, lang, "vandalism")
    assert 'type="checkbox"' not in html and 'name="consent"' not in html
    assert text in html and f'href="/{lang}/privacy"' in html
    assert re.search(r"12 (mois|maanden|months)", html)
    response = post_report(client, lang, consent=None, email=None, phone=None)
    assert response.status_code == 303


def test_the_privacy_page_says_who_sees_contact_details_and_how_to_ask_for_erasure(
        client: FlaskClient) -> None:
    page = client.get("/fr/privacy").get_data(as_text=True)
    assert "Uniquement le service de prévention de la commune" in page
    assert "Demander l&#39;effacement de mes données" in page


# The language of the e-mails ---------------------------------------------------------------------

def test_the_resident_chooses_the_language_of_the_e_mails(app: Flask, client: FlaskClient) -> None:
    html, _hidden = open_form(client, "fr", "vandalism")
    # By default the page's language.
    assert re.search(r'<input checked id="email_language-0" name="email_language" type="radio" value="fr">', html)
    filed = file_and_confirm(client, "fr", email="jan@example.be", email_language="nl")
    assert _report(app).language == "nl"
    (received,) = _mails(app, "jan@example.be")
    assert received.language == "nl" and "Uw melding" in received.subject
    # A staff answer reaches the resident in that language too.
    _answer(app, filed.reference, "Wij komen langs.")
    answer = _mails(app, "jan@example.be")[-1]
    assert answer.language == "nl" and "/nl/track/" in answer.body


def test_a_language_that_does_not_exist_falls_back_to_the_pages(app: Flask, client: FlaskClient) -> None:
    file_and_confirm(client, "en", email="ann@example.be", email_language="xx")
    assert _report(app).language == "en"


# Sensitive reports: safe contact and quick exit --------------------------------------------------

def test_a_sensitive_report_asks_how_to_contact_safely_and_offers_a_quick_exit(
        client: FlaskClient) -> None:
    html, _hidden = open_form(client, "nl", "school-racket")
    assert 'name="safe_contact"' in html and "Spreek geen bericht in" in html.replace("spreek", "Spreek")
    assert 'class="quick-exit"' in html and 'rel="noreferrer"' in html
    assert '/static/js/quick-exit.js' in html
    plain, _hidden = open_form(client, "nl", "vandalism")
    assert 'name="safe_contact"' not in plain and "quick-exit" not in plain


@pytest.mark.parametrize(("change", "message"), [
    ({"safe_contact": None}, "Indiquez comment nous pouvons vous contacter"),
    ({"safe_contact": "email", "email": None}, "Indiquez votre adresse e-mail ci-dessous"),
    ({"safe_contact": "phone", "phone": None}, "Indiquez votre numéro de téléphone ci-dessous"),
    ({"safe_contact": "carrier-pigeon"}, "Indiquez comment nous pouvons vous contacter"),
])
def test_the_safe_contact_must_match_what_was_given(app: Flask, client: FlaskClient, change,
                                                    message: str) -> None:
    data = {"email": "eleve@example.be", "phone": "0470 12 34 56",
            "description": "On me prend mon argent <b>tous</b> les jours",
            **change}
    response = post_report(client, "fr", "school-racket", **data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page
    assert "On me prend mon argent &lt;b&gt;tous&lt;/b&gt; les jours" in page  # what was typed stays
    assert _report_count(app) == 0


def _report_count(app: Flask) -> int:
    with app.app_context():
        return len(db.session.scalars(select(Report.id)).all())


def test_no_contact_keeps_no_address_and_sends_nothing(app: Flask, client: FlaskClient) -> None:
    filed = file_and_confirm(client, "fr", "school-racket", safe_contact="none",
                             email="eleve@example.be", phone="0470 12 34 56")
    report = _report(app)
    assert report.safe_contact == "none" and report.email is None and report.phone is None
    assert _mails(app, "eleve@example.be") == []
    assert 'class="quick-exit"' in filed.page


@pytest.mark.parametrize(("lang", "subject"), [("fr", "Votre message au portail"),
                                               ("nl", "Uw bericht aan het portaal"),
                                               ("en", "Your message to the portal")])
def test_e_mail_only_keeps_no_phone_and_its_subjects_are_neutral(app: Flask, client: FlaskClient,
                                                                 lang: str, subject: str) -> None:
    filed = file_and_confirm(client, lang, "school-racket", safe_contact="email",
                             email="eleve@example.be", phone="0470 12 34 56")
    report = _report(app)
    assert report.safe_contact == "email" and report.phone is None
    (received,) = _mails(app, "eleve@example.be")
    assert received.subject == subject
    _answer(app, filed.reference, "Merci.")
    answer = _mails(app, "eleve@example.be")[-1]
    for mail in (received, answer):
        lowered = mail.subject.lower()
        assert not any(word in lowered for word in ("police", "politie", "prévention", "prevention",
                                                    "preventie", "racket", "afpersing"))
    # The staff page shows the choice where nobody can miss it.
    staff = app.test_client()
    assert login(staff, "agent@stgilles.invalid").status_code == 303
    page = staff.get(f"/fr/manage/reports/{filed.reference}").get_data(as_text=True)
    assert "Contact sûr choisi par la personne" in page and "N&#39;appelez jamais." in page


@pytest.mark.parametrize(("lang", "neutral", "portal"), [
    ("fr", "Région de Bruxelles-Capitale", "Portail de la prévention à Bruxelles"),
    ("nl", "Brussels Hoofdstedelijk Gewest", "Preventieportaal Brussel"),
    ("en", "Brussels-Capital Region", "Brussels prevention portal")])
def test_the_inbox_shows_a_neutral_sender_for_a_sensitive_report(app: Flask, client: FlaskClient, lang: str,
                                                               neutral: str, portal: str) -> None:
    """What an inbox shows of a message is its sender and subject: for a sensitive report neither
    names prevention; an ordinary report's e-mail comes from the portal by name."""
    from email import policy
    from email.parser import BytesParser
    from pathlib import Path

    from portal.notify.sender import send_due

    file_and_confirm(client, lang, "school-racket", safe_contact="email", email="eleve@example.be")
    file_and_confirm(client, lang, "vandalism", email="voisin@example.be")
    app.config["MAIL_SERVER"] = ""
    with app.app_context():
        send_due()
    senders = {}
    for path in Path(app.config["MAIL_FILE_DIR"]).glob("*.eml"):
        mail = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        senders[str(mail["To"])] = mail["From"].addresses[0].display_name
    assert senders["eleve@example.be"] == neutral
    assert senders["voisin@example.be"] == portal


def test_a_phone_contact_warns_staff_never_to_leave_a_voice_message(app: Flask, client: FlaskClient) -> None:
    filed = file_and_confirm(client, "fr", "school-racket", safe_contact="phone", phone="0470 12 34 56")
    assert _report(app).phone == "0470 12 34 56"
    make_user(app, "agent@stgilles.invalid", "staff", ("21013",), language="nl")
    staff = app.test_client()
    assert login(staff, "agent@stgilles.invalid", lang="nl").status_code == 303
    page = staff.get(f"/nl/manage/reports/{filed.reference}").get_data(as_text=True)
    assert "Spreek nooit een voicemailbericht in." in page


# The emergency line ------------------------------------------------------------------------------

def test_one_compact_emergency_line_and_the_full_question_at_the_start(client: FlaskClient) -> None:
    for path in ("/fr/courses/", "/nl/track/", "/en/report/categories", "/fr/privacy"):
        page = client.get(path).get_data(as_text=True)
        assert page.count('class="emergency"') == 1, path
        assert 'href="tel:112"' in page and 'href="tel:101"' in page
    start = client.get("/fr/report/").get_data(as_text=True)
    assert 'class="emergency"' not in start and "Quelqu" in start  # the full question instead


def test_no_emergency_line_on_staff_pages(app: Flask) -> None:
    make_user(app, "agent@stgilles.invalid", "staff", ("21013",))
    staff = app.test_client()
    assert 'class="emergency"' not in staff.get("/fr/manage/login").get_data(as_text=True)
    assert login(staff, "agent@stgilles.invalid").status_code == 303
    page = staff.get("/fr/manage/reports").get_data(as_text=True)
    assert 'class="emergency"' not in page and "keep-typed.js" not in page
