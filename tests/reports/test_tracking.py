"""Following a report: private link, reference and e-mail, adding information, closing it."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from portal.notify.models import OutboxMessage
from portal.reports.models import MunicipalContact, Report
from tests.conftest import csrf_token
from tests.reports.helpers import jpeg_with_gps, post_report
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


def test_reference_and_email(app: Flask, client: FlaskClient) -> None:
    reference, _ = file_report(client, email="Resident@Example.org")
    other = app.test_client()
    form = other.get("/en/track/").get_data(as_text=True)
    wrong = other.post("/en/track/", data={"csrf_token": csrf_token(form), "reference": reference,
                                           "email": "someone.else@example.org"})
    assert wrong.status_code == 422 and "No report matches" in wrong.get_data(as_text=True)
    typed = reference.lower().replace("-", " ")
    right = other.post("/en/track/", data={"csrf_token": csrf_token(form), "reference": typed,
                                           "email": "resident@example.org "})
    assert right.status_code == 303
    assert reference in other.get(right.headers["Location"]).get_data(as_text=True)


def test_anonymous_report_cannot_be_found_by_reference(app: Flask, client: FlaskClient) -> None:
    reference, _ = file_report(client)
    other = app.test_client()
    form = other.get("/fr/track/").get_data(as_text=True)
    response = other.post("/fr/track/", data={"csrf_token": csrf_token(form), "reference": reference,
                                              "email": ""})
    assert response.status_code == 422


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
        subjects = [m.subject for m in db.session.scalars(select(OutboxMessage))]
        assert any(reference in s and "Nouvelles informations" in s for s in subjects)


def test_empty_addition_is_refused(app: Flask, client: FlaskClient) -> None:
    reference, link = file_report(client)
    page = client.get(link, follow_redirects=True).get_data(as_text=True)
    response = client.post(f"/fr/track/report/{reference}", data={"csrf_token": csrf_token(page), "text": " "})
    assert response.status_code == 422 and "Écrivez quelque chose" in response.get_data(as_text=True)


@pytest.mark.parametrize(("kind", "text"), [("reporter_resolved", "le problème est résolu"),
                                            ("reporter_no_longer_needed", "il ne faut plus rien faire")])
def test_reporter_says_it_is_over(app: Flask, client: FlaskClient, kind: str, text: str) -> None:
    reference, link = file_report(client)
    page = client.get(link, follow_redirects=True).get_data(as_text=True)
    response = client.post(f"/fr/track/report/{reference}/done", data={"csrf_token": csrf_token(page), "kind": kind})
    assert response.status_code == 303
    assert text in client.get(response.headers["Location"]).get_data(as_text=True)


def test_report_made_while_smtp_is_down_is_kept_and_mailed_later(app: Flask, client: FlaskClient, smtp) -> None:  # noqa: F811
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
