"""A resident files a report from the form, in each language, and it reaches the right municipality."""
from __future__ import annotations

import io
import re
import threading

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from portal.extensions import db
from portal.reports.models import MunicipalContact, Report
from portal.reports.services import REFERENCE_PATTERN
from portal.tokens import hash_secret
from tests.outbox import Mail, mails
from tests.reports.helpers import jpeg_with_gps, open_form, post_report, report_data

CATEGORIES = ["school-racket", "transport-pickpocketing", "vehicle-theft", "vandalism",
              "burglary", "other-theft", "other-nuisance"]
JOURDAN_ETTERBEEK = ("50.8365", "4.3826")
SCHUMAN_BRUSSELS = ("50.8430", "4.3803")
COLIGNON_SCHAERBEEK = ("50.8672", "4.3779")


def reports(app: Flask) -> list[Report]:
    with app.app_context():
        return list(db.session.scalars(select(Report).order_by(Report.id)))


def outbox(app: Flask) -> list[Mail]:
    return mails(app)


def confirmation(client: FlaskClient, response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    return page.get_data(as_text=True)


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
@pytest.mark.parametrize("code", CATEGORIES)
def test_each_category_in_each_language(app: Flask, client: FlaskClient, lang: str, code: str) -> None:
    html = confirmation(client, post_report(client, lang, code))
    [report] = reports(app)
    assert REFERENCE_PATTERN.match(report.reference)
    assert report.reference in html
    assert (report.category_code, report.municipality_nis, report.language) == (code, "21013", lang)
    assert {"fr": "la commune de Saint-Gilles", "nl": "de gemeente Sint-Gillis",
            "en": "the municipality of Saint-Gilles"}[lang] in html
    assert {"fr": "Zone de police\u00a0: Midi.", "nl": "Politiezone: Zuid.",
            "en": "Police zone: Midi."}[lang] in html
    assert "5341" not in html  # residents know the zone by its name
    if code == "transport-pickpocketing":
        assert report.details == {"line": "71", "stop": "Flagey"}
    if code == "vehicle-theft":
        assert report.details["police_declaration"] == "yes"
        assert {"fr": "déclaration", "nl": "aangifte", "en": "declaration to the police"}[lang] in html
    if code == "vandalism":
        assert "Police-on-web" in html


def test_form_asks_the_category_questions(client: FlaskClient) -> None:
    form = open_form(client, "fr", "vandalism")[0]
    assert re.search(r'<input[^>]*id="occurred_on"[^>]*type="date"', form)  # a date picker on phones
    assert re.search(r'<input[^>]*id="occurred_at_time"[^>]*type="time"', form)
    assert 'name="line"' in open_form(client, "fr", "transport-pickpocketing")[0]
    assert 'name="school"' in open_form(client, "fr", "school-racket")[0]
    vehicle = open_form(client, "fr", "vehicle-theft")[0]
    assert 'name="make"' in vehicle and 'name="police_declaration"' in vehicle
    burglary = open_form(client, "fr", "burglary")[0]
    assert 'name="line"' not in burglary and 'name="school"' not in burglary


def test_school_racket_shows_child_helplines(client: FlaskClient) -> None:
    html = open_form(client, "nl", "school-racket")[0]
    assert 'href="tel:103"' in html and 'href="tel:102"' in html


def test_tracking_secret_is_long_hashed_and_separate_from_reference(app: Flask, client: FlaskClient) -> None:
    html = confirmation(client, post_report(client, "en"))
    secret = re.search(r"/en/track/([A-Za-z0-9_-]+)", html).group(1)
    assert len(secret) * 6 >= 128
    [report] = reports(app)
    assert report.tracking_hash == hash_secret(secret) and secret not in report.tracking_hash
    assert report.reference not in secret


def test_references_are_not_sequential(app: Flask, client: FlaskClient) -> None:
    for _ in range(3):
        post_report(client)
    refs = [r.reference for r in reports(app)]
    assert len(set(refs)) == 3 and refs != sorted(refs) or refs[0][3:] != refs[1][3:]


def test_shared_postal_code_without_location_asks(app: Flask, client: FlaskClient) -> None:
    html, hidden = open_form(client, "fr", "burglary")
    data = {**hidden, **report_data("burglary", postal_code="1050")}
    response = client.post("/fr/report/new/burglary", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and reports(app) == []
    assert "Bruxelles" in page and "Ixelles" in page and 'name="municipality"' in page
    assert "Graffiti on the school wall" in page  # what was typed is kept
    confirmation(client, client.post("/fr/report/new/burglary", data={**data, "municipality": "21009"}))
    assert reports(app)[0].municipality_nis == "21009"


@pytest.mark.parametrize(("point", "expected"), [(JOURDAN_ETTERBEEK, "21005"), (SCHUMAN_BRUSSELS, "21004")])
def test_shared_postal_code_with_location_goes_straight(app: Flask, client: FlaskClient, point, expected) -> None:
    confirmation(client, post_report(client, "nl", postal_code="1040", latitude=point[0], longitude=point[1]))
    report = reports(app)[0]
    assert report.municipality_nis == expected
    assert (report.latitude, report.longitude) == (float(point[0]), float(point[1]))


def test_conflict_asks_which_is_right(app: Flask, client: FlaskClient) -> None:
    html, hidden = open_form(client, "en", "vandalism")
    data = {**hidden, **report_data(postal_code="1180", latitude=COLIGNON_SCHAERBEEK[0],
                                    longitude=COLIGNON_SCHAERBEEK[1])}
    page = client.post("/en/report/new/vandalism", data=data).get_data(as_text=True)
    assert "different municipalities" in page and "Uccle" in page and "Schaerbeek" in page
    assert reports(app) == []
    confirmation(client, client.post("/en/report/new/vandalism", data={**data, "municipality": "21015"}))
    assert reports(app)[0].municipality_nis == "21015"


def test_a_choice_outside_the_candidates_is_asked_again(app: Flask, client: FlaskClient) -> None:
    html, hidden = open_form(client, "fr", "burglary")
    data = {**hidden, **report_data("burglary", postal_code="1050", municipality="21001")}
    response = client.post("/fr/report/new/burglary", data=data)
    assert response.status_code == 200 and 'name="municipality"' in response.get_data(as_text=True)
    assert reports(app) == []


def test_outside_the_region_stores_nothing(app: Flask, client: FlaskClient) -> None:
    response = post_report(client, "fr", postal_code="1930", photos=(io.BytesIO(jpeg_with_gps()), "p.jpg"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "en dehors de la Région" in page and 'href="tel:101"' in page and "Police-on-web" in page
    assert reports(app) == [] and outbox(app) == []
    assert not list((app.config["UPLOAD_DIR"] and __import__("pathlib").Path(app.config["UPLOAD_DIR"])).glob("*.jpg"))


@pytest.mark.parametrize(("field", "value", "message"), [
    ("description", "", "Décrivez ce qui s'est passé."),
    ("description", "x" * 4001, "4000"),
    ("occurred_on", "2099-01-01", "ne peut pas être dans le futur"),
    ("occurred_on", "31/12/2025", "2026-03-31"),
    ("postal_code", "10", "quatre chiffres"),
    ("postal_code", "", "code postal"),
    ("email", "not-an-email", "adresse e-mail valable"),
    ("phone", "call me", "numéro de téléphone"),
])
def test_bad_input_comes_back_with_message_and_typed_values(app: Flask, client: FlaskClient,
                                                              field: str, value, message: str) -> None:
    response = post_report(client, "fr", **{field: value, "street": "Chaussée <b>d'Ixelles</b> 1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert 'class="field has-error"' in page or "has-error" in page
    assert "Chaussée &lt;b&gt;d&#39;Ixelles&lt;/b&gt; 1" in page  # kept, escaped
    assert reports(app) == []


def test_double_submit_makes_one_report(app: Flask, client: FlaskClient) -> None:
    html, hidden = open_form(client, "fr", "vandalism")
    data = {**hidden, **report_data()}
    first = client.post("/fr/report/new/vandalism", data=data)
    second = client.post("/fr/report/new/vandalism", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(reports(app)) == 1


def test_concurrent_double_click_makes_one_report(app: Flask) -> None:
    client = app.test_client()
    html, hidden = open_form(client, "fr", "vandalism")
    data = {**hidden, **report_data()}
    cookie = client.get_cookie("session")
    statuses: list[int] = []

    def click() -> None:
        other = app.test_client()
        other.set_cookie("session", cookie.value)
        statuses.append(other.post("/fr/report/new/vandalism", data=data).status_code)

    threads = [threading.Thread(target=click) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [303] * 4
    assert len(reports(app)) == 1


def test_photos_are_stripped_and_stored_outside_static(app: Flask, client: FlaskClient) -> None:
    confirmation(client, post_report(client, photos=[(io.BytesIO(jpeg_with_gps()), "IMG_1.jpg"),
                                                     (io.BytesIO(jpeg_with_gps((20, 10))), "b.png")]))
    [report] = reports(app)
    from pathlib import Path
    upload_dir = Path(app.config["UPLOAD_DIR"])
    assert "static" not in upload_dir.parts
    with app.app_context():
        photos = db.session.get(Report, report.id).photos
        assert [(p.width, p.height) for p in photos] == [(64, 48), (20, 10)]
        for photo in photos:
            data = (upload_dir / photo.filename).read_bytes()
            assert b"PhoneMaker" not in data
            with Image.open(io.BytesIO(data)) as image:
                assert len(image.getexif()) == 0
            assert "IMG_1" not in photo.filename


def test_broken_photo_is_a_field_error_and_nothing_is_lost(app: Flask, client: FlaskClient) -> None:
    response = post_report(client, photos=[(io.BytesIO(b"not an image"), "evil.jpg")])
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "evil.jpg" in page and "JPEG, PNG ou WebP" in page
    assert "Graffiti on the school wall" in page
    assert reports(app) == []


def test_photo_is_kept_when_the_form_comes_back(app: Flask, client: FlaskClient) -> None:
    html, hidden = open_form(client, "fr", "burglary")
    data = {**hidden, **report_data("burglary", postal_code="1050")}
    page = client.post("/fr/report/new/burglary", content_type="multipart/form-data",
                       data={**data, "photos": (io.BytesIO(jpeg_with_gps()), "a.jpg")}).get_data(as_text=True)
    kept = re.search(r'name="kept_photos" type="hidden" value="([^"]+)"', page).group(1)
    assert "photo(s)" in page or "1 photo" in page
    confirmation(client, client.post("/fr/report/new/burglary",
                                     data={**data, "kept_photos": kept, "municipality": "21009"}))
    with app.app_context():
        assert len(db.session.get(Report, reports(app)[0].id).photos) == 1


def test_a_kept_photo_name_cannot_be_a_path(app: Flask, client: FlaskClient) -> None:
    confirmation(client, post_report(client, kept_photos="../secret_key,../../etc/passwd"))
    with app.app_context():
        assert db.session.get(Report, reports(app)[0].id).photos == []


def test_upload_over_the_limit_gets_the_localized_413(app: Flask, client: FlaskClient) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 50_000
    response = post_report(client, "nl", photos=(io.BytesIO(b"\xff" * 60_000), "big.jpg"))
    assert response.status_code == 413
    assert "Het bestand is te groot" in response.get_data(as_text=True)
    assert reports(app) == []


def test_hostile_text_is_stored_as_typed_and_shown_escaped(app: Flask, client: FlaskClient) -> None:
    hostile = "<script>alert('x')</script> '; DROP TABLE report; -- \u202e"
    response = post_report(client, "fr", description=hostile)
    confirmation(client, response)
    [report] = reports(app)
    assert report.description == hostile.strip()
    secret_page = client.get(response.headers["Location"]).get_data(as_text=True)
    link = re.search(r'href="(http://[^"]+/fr/track/[^"]+)"', secret_page).group(1)
    page = client.get(link.split("127.0.0.1:5000")[1], follow_redirects=True).get_data(as_text=True)
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page and "<script>alert" not in page


def test_outbox_messages_in_the_reporters_language_and_without_personal_data(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        db.session.add(MunicipalContact(municipality_nis="21013", email="prevention@saint-gilles.example.invalid",
                                        language="fr"))
        db.session.add(MunicipalContact(municipality_nis="21013", category_code="burglary",
                                        email="inbraak@saint-gilles.example.invalid", language="nl"))
        db.session.commit()
    confirmation(client, post_report(client, "nl", "vandalism", email="Resident@Example.org",
                                     phone="0470 12 34 56"))
    messages = outbox(app)
    assert [m.recipient for m in messages] == ["Resident@example.org", "prevention@saint-gilles.example.invalid"]
    reporter, staff = messages
    [report] = reports(app)
    assert reporter.language == "nl" and report.reference in reporter.subject
    assert "ontvangen" in reporter.subject and "/nl/track/" in reporter.body
    assert staff.language == "fr" and f"/fr/manage/reports/{report.reference}" in staff.body
    assert "Resident" not in staff.body and "0470" not in staff.body
    assert "Graffiti" not in staff.body  # the facts are read in the workspace only


def test_category_specific_contact_wins(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        db.session.add(MunicipalContact(municipality_nis="21013", email="general@sg.example.invalid"))
        db.session.add(MunicipalContact(municipality_nis="21013", category_code="burglary",
                                        email="burglary@sg.example.invalid", language="nl"))
        db.session.commit()
    confirmation(client, post_report(client, "fr", "burglary"))
    assert [m.recipient for m in outbox(app)] == ["burglary@sg.example.invalid"]


def test_anonymous_report_sends_nothing_to_the_reporter(app: Flask, client: FlaskClient) -> None:
    confirmation(client, post_report(client))
    assert outbox(app) == []


def test_without_csrf_token_nothing_is_stored(app: Flask, client: FlaskClient) -> None:
    response = client.post("/fr/report/new/vandalism", data=report_data())
    assert response.status_code in (400, 422)
    assert reports(app) == []


def test_unknown_category_is_404(client: FlaskClient) -> None:
    assert client.get("/fr/report/new/nope").status_code == 404


def test_count(app: Flask, client: FlaskClient) -> None:
    post_report(client)
    with app.app_context():
        assert db.session.scalar(select(func.count(Report.id))) == 1


def test_a_stale_form_comes_back_filled_in_with_a_message(app: Flask, client: FlaskClient) -> None:
    html, hidden = open_form(client, "fr", "vandalism")
    response = client.post("/fr/report/new/vandalism",
                           data={**hidden, "csrf_token": "expired", **report_data(description="Mon vélo")})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Le formulaire avait expiré" in page and "Mon vélo" in page
    assert reports(app) == []
