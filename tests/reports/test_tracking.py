"""Following a report: private link, reference and tracking code, "I lost my code", adding
information, closing it."""
from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from portal.extensions import db
from portal.notify.models import OutboxMessage
from portal.reports.models import MunicipalContact, Report
from portal.reports.services import REFERENCE_ALPHABET
from tests.conftest import csrf_token
from tests.outbox import Mail, mails, rendered
from tests.reports.helpers import (
    ask_for_link,
    file_and_confirm,
    jpeg_with_gps,
    other_reference,
    post_report,
    track,
    wrong_code,
)
from tests.smtp import smtp  # noqa: F401 - fixture


def file_report(client: FlaskClient, lang: str = "fr", **overrides) -> tuple[str, str]:
    """File a report; returns (reference, path of the private tracking link)."""
    response = post_report(client, lang, **overrides)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    link = re.search(rf'href="http://[^/"]+(/{lang}/track/[^"]+)"', page).group(1)
    return response.headers["Location"].rsplit("/", 1)[1], link


def test_private_link_opens_the_report_in_any_language(app: Flask, client: FlaskClient) -> None:
    reference, link = file_report(client, "fr")
    other = app.test_client()  # another device, no session
    page = other.get(link, follow_redirects=True)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert reference in html and "Reçu" in html
    dutch = other.get(f"/nl/track/report/{reference}").get_data(as_text=True)
    assert "Ontvangen" in dutch and 'lang="nl"' in dutch


def test_reference_alone_shows_nothing(app: Flask, client: FlaskClient) -> None:
    reference, _ = file_report(client)
    assert app.test_client().get(f"/fr/track/report/{reference}").status_code == 404
    assert app.test_client().get("/fr/track/not-a-real-secret-value-at-all").status_code == 404


@pytest.mark.parametrize(("lang", "label"), [("fr", "Votre code de suivi\u00a0: "), ("nl", "Uw opvolgcode: "),
                                           ("en", "Your tracking code: ")])
def test_reference_and_code_open_the_report(app: Flask, client: FlaskClient, lang: str, label: str) -> None:
    filed = file_and_confirm(client, lang, email="resident@example.org")
    # Groups of four of the reference's alphabet (no 0/O, 1/I/L, U), in the page and the e-mail.
    assert re.fullmatch(r"[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}", filed.code)
    assert label.split(":")[0].strip() in filed.page
    with app.app_context():
        [received] = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.recipient == "resident@example.org"))
        received = rendered(received)
        assert label + filed.code in received.body and f"/{lang}/track/" in received.body
    compact = filed.code.replace("-", "")
    for typed in (filed.code, compact.lower(), f" {compact[:4].lower()} {compact[4:8]} {compact[8:].lower()} "):
        other = app.test_client()  # another device, no session
        response = track(other, lang, filed.reference.lower().replace("-", " "), typed)
        assert response.status_code == 303, typed
        assert response.headers["Location"].endswith(f"/{lang}/track/report/{filed.reference}")
        assert filed.reference in other.get(response.headers["Location"]).get_data(as_text=True)


def test_an_anonymous_reporter_follows_up_with_the_code(app: Flask, client: FlaskClient) -> None:
    filed = file_and_confirm(client, "nl")  # no e-mail address
    other = app.test_client()
    response = track(other, "nl", filed.reference, filed.code)
    assert response.status_code == 303
    page = other.get(response.headers["Location"])
    assert page.status_code == 200 and "Ontvangen" in page.get_data(as_text=True)


def _without_values(html: str) -> str:
    """The page without what differs between two forms: tokens and what was typed."""
    return re.sub(r'value="[^"]*"', 'value=""', html)


def test_a_wrong_code_never_tells_whether_the_reference_exists(app: Flask, client: FlaskClient) -> None:
    filed = file_and_confirm(client, email="resident@example.org")
    other = app.test_client()
    wrong = track(other, "en", filed.reference, wrong_code(filed.code))
    unknown = track(other, "en", other_reference(filed.reference), filed.code)
    for response in (wrong, unknown):
        assert response.status_code == 422
        assert "No report matches this reference and this tracking code" in response.get_data(as_text=True)
    assert _without_values(wrong.get_data(as_text=True)) == _without_values(unknown.get_data(as_text=True))
    # An e-mail address is not a secret: with it instead of the code, the form asks for the code.
    page = other.get("/en/track/").get_data(as_text=True)
    by_email = other.post("/en/track/", data={"csrf_token": csrf_token(page), "reference": filed.reference,
                                              "email": "resident@example.org"})
    assert by_email.status_code == 422 and "Give the tracking code of your report." in by_email.get_data(as_text=True)
    assert other.get(f"/en/track/report/{filed.reference}/export.json").status_code == 404


def test_the_code_is_stored_hashed_with_at_least_40_bits(app: Flask, client: FlaskClient) -> None:
    first, second = file_and_confirm(client), file_and_confirm(client)
    compact = first.code.replace("-", "")
    assert set(compact) <= set(REFERENCE_ALPHABET)
    assert len(REFERENCE_ALPHABET) ** len(compact) >= 2 ** 40
    assert first.code != second.code
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.reference == first.reference))
        expected = hashlib.sha256(f"{first.reference}:{compact}".encode()).hexdigest()
        assert report.tracking_code_hash == expected
        row = db.session.execute(text("SELECT * FROM report WHERE id = :id"), {"id": report.id}).one()
        assert not any(compact in str(value) or first.code in str(value) for value in row)


def test_typing_mistakes_are_told_at_their_field(app: Flask, client: FlaskClient) -> None:
    response = track(client, "fr", "BX-12", "7KQ2-M9XD")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Une référence a la forme BX-7KQ2-M9XD" in html
    assert "Un code de suivi compte 12 lettres et chiffres" in html
    lost = ask_for_link(client, "nl", "BX-7KQ2-M9XD", "not an address")
    assert lost.status_code == 422 and "Vul een geldig e-mailadres in" in lost.get_data(as_text=True)


def test_a_report_from_before_codes_opens_with_its_link_and_with_a_sent_link(app: Flask, client: FlaskClient) -> None:
    filed = file_and_confirm(client, email="resident@example.org")
    with app.app_context():  # as the migration leaves the reports made before codes existed
        db.session.execute(text("UPDATE report SET tracking_code_hash = NULL"))
        db.session.commit()
    stranger = app.test_client()
    assert track(stranger, "fr", filed.reference, filed.code).status_code == 422
    assert stranger.get(filed.link).status_code == 303
    assert stranger.get(f"/fr/track/report/{filed.reference}").status_code == 200
    other = app.test_client()
    assert ask_for_link(other, "fr", filed.reference, "resident@example.org").status_code == 303
    link = re.search(r"http://[^/\s]+(/fr/track/link/\S+)", last_message(app).body).group(1)
    assert other.get(link).headers["Location"].endswith(f"/fr/track/report/{filed.reference}")
    assert other.get(f"/fr/track/report/{filed.reference}").status_code == 200


def last_message(app: Flask) -> Mail:
    return mails(app)[-1]


def outbox_count(app: Flask) -> int:
    with app.app_context():
        return len(db.session.scalars(select(OutboxMessage.id)).all())


def test_lost_code_sends_a_link_to_the_address_on_file(app: Flask, client: FlaskClient) -> None:
    filed = file_and_confirm(client, "nl", email="Resident@Example.org")
    before = outbox_count(app)
    stranger = app.test_client()
    response = ask_for_link(stranger, "en", filed.reference.lower(), "resident@example.org ")
    assert response.status_code == 303 and response.headers["Location"].endswith("/en/track/lost/sent")
    assert "Check your e-mail" in stranger.get(response.headers["Location"]).get_data(as_text=True)
    assert outbox_count(app) == before + 1
    message = last_message(app)
    # To the address on file, in the report's language.
    assert message.recipient == "Resident@example.org" and message.language == "nl"
    assert filed.reference in message.subject and "7 dagen" in message.body
    link = re.search(r"http://[^/\s]+(/nl/track/link/\S+)", message.body).group(1)
    assert stranger.get(f"/nl/track/report/{filed.reference}").status_code == 404  # asking opens nothing
    fresh = app.test_client()
    opened = fresh.get(link)
    assert opened.status_code == 303 and opened.headers["Location"].endswith(f"/nl/track/report/{filed.reference}")
    assert "Ontvangen" in fresh.get(opened.headers["Location"]).get_data(as_text=True)
    assert app.test_client().get(filed.link).status_code == 303  # the long link keeps working


def test_lost_code_answers_and_works_the_same_whatever_the_address(app: Flask, client: FlaskClient) -> None:
    filed = file_and_confirm(client, email="resident@example.org")
    anonymous = file_and_confirm(client)
    answers = []
    for reference, email, sent_link in ((filed.reference, "resident@example.org", True),
                                        (filed.reference, "someone.else@example.org", False),
                                        (anonymous.reference, "resident@example.org", False),
                                        (other_reference(filed.reference), "resident@example.org", False)):
        browser = app.test_client()
        before = outbox_count(app)
        response = ask_for_link(browser, "fr", reference, email)
        answers.append((response.status_code, response.headers.get("Location"),
                        browser.get(response.headers["Location"]).get_data(as_text=True)))
        # One message queued either way (none sent during the request), to the address typed.
        assert outbox_count(app) == before + 1
        message = last_message(app)
        assert message.recipient == email and message.status == "pending"
        assert ("/fr/track/link/" in message.body) is sent_link, (reference, email)
        if not sent_link:
            assert "Aucun signalement portant cette référence n'a été fait avec cette adresse" in message.body
    assert answers[0][0] == 303
    assert answers.count(answers[0]) == len(answers)


def test_an_expired_or_forged_sent_link_asks_for_a_new_one(app: Flask, client: FlaskClient,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from portal.reports import services

    filed = file_and_confirm(client, email="resident@example.org")
    ask_for_link(client, "fr", filed.reference, "resident@example.org")
    link = re.search(r"http://[^/\s]+(/fr/track/link/\S+)", last_message(app).body).group(1)
    forged = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
    monkeypatch.setattr(services, "SENT_LINK_MAX_AGE", timedelta(seconds=-1))  # every link is too old
    for path in (link, forged):
        browser = app.test_client()
        response = browser.get(path)
        assert response.status_code == 303 and response.headers["Location"].endswith("/fr/track/lost")
        assert "Ce lien ne fonctionne plus" in browser.get(response.headers["Location"]).get_data(as_text=True)
        assert browser.get(f"/fr/track/report/{filed.reference}").status_code == 404


def test_reporter_adds_information_and_a_photo(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        db.session.add(MunicipalContact(municipality_nis="21013", email="sg@demo.invalid"))
        db.session.commit()
    reference, link = file_report(client)
    page = client.get(link, follow_redirects=True).get_data(as_text=True)
    response = client.post(f"/fr/track/report/{reference}", content_type="multipart/form-data",
                           data={"csrf_token": csrf_token(page), "text": "Le tag est revenu <b>hier</b>",
                                 "photos": (io.BytesIO(jpeg_with_gps()), "new.jpg")})
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Le tag est revenu &lt;b&gt;hier&lt;/b&gt;" in html and "ont été ajoutées" in html
    with app.app_context():
        report = db.session.scalar(select(Report))
        assert len(report.photos) == 1 and report.events[-1].kind == "reporter_info"
        subjects = [rendered(m).subject for m in db.session.scalars(select(OutboxMessage))]
        assert any(reference in s and "Nouvelles informations" in s for s in subjects)


def test_empty_addition_is_refused(app: Flask, client: FlaskClient) -> None:
    reference, link = file_report(client)
    page = client.get(link, follow_redirects=True).get_data(as_text=True)
    response = client.post(f"/fr/track/report/{reference}", data={"csrf_token": csrf_token(page), "text": " "})
    assert response.status_code == 422 and "Écrivez quelque chose" in response.get_data(as_text=True)


@pytest.mark.parametrize(("kind", "text"), [
    ("reporter_resolved", "le problème est résolu"),
    ("reporter_no_longer_needed", "il n&#39;est plus nécessaire d&#39;intervenir"),
])
def test_reporter_says_it_is_over(app: Flask, client: FlaskClient, kind: str, text: str) -> None:
    reference, link = file_report(client)
    page = client.get(link, follow_redirects=True).get_data(as_text=True)
    response = client.post(f"/fr/track/report/{reference}/done", data={"csrf_token": csrf_token(page), "kind": kind})
    assert response.status_code == 303
    assert text in client.get(response.headers["Location"]).get_data(as_text=True)


def test_report_made_while_smtp_is_down_is_kept_and_mailed_later(app: Flask, client: FlaskClient, smtp) -> None:
    from portal.db import utcnow
    from portal.notify.sender import send_due

    reference, _ = file_report(client, "nl", email="resident@example.org")
    with app.app_context():
        first = send_due()  # the server is down
        assert first.sent == 0 and first.failed == 1
        assert db.session.scalar(select(Report)).reference == reference
    smtp.start()
    with app.app_context():
        later = send_due(now=utcnow() + timedelta(minutes=2))
        assert later.sent == 1
    [message] = smtp.inbox.messages()
    assert message["To"] == "resident@example.org" and reference in message["Subject"]
    assert "ontvangen" in message["Subject"] and message["Content-Language"] == "nl"
    assert "/nl/track/" in message.get_body(("plain",)).get_content()
