"""The number of the police report (PV), added from the tracking page, seen by staff."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import LIMITS, db
from portal.i18n import speaking
from portal.reports import police_report
from portal.reports.models import Report
from tests.conftest import Database, csrf_token, portal_on
from tests.reports.helpers import file_and_confirm
from tests.staff import login, make_user


@pytest.mark.parametrize(("typed", "kept"), [
    ("BR.12.L3.012345/2026", "BR.12.L3.012345/2026"),
    ("  br.12.l3.012345/2026 ", "br.12.l3.012345/2026"),   # as typed, trimmed
    ("BR 12 L3 012345 2026", "BR 12 L3 012345 2026"),
    ("BR.55.LB.123456/26", "BR.55.LB.123456/26"),
    ("AN.22.L1.1234/2025", "AN.22.L1.1234/2025"),
    ("BR12L3012345/2026", "BR12L3012345/2026"),
    ("BR.12.L3.012345 /  2026", "BR.12.L3.012345 / 2026"),
])
def test_the_common_shapes_are_kept_as_typed(web_app: Flask, typed: str, kept: str) -> None:
    with web_app.app_context(), speaking("en"):
        assert police_report.clean(typed) == kept


@pytest.mark.parametrize("typed", [
    "123456", "BR.12.L3", "B.12.L3.012345/2026", "BR.12.L3.012345/2026/extra",
    "BR.12.L3.012345/202", "<script>", "BR.12.L3." + "1" * 40 + "/2026",
])
def test_other_text_is_refused(web_app: Flask, typed: str) -> None:
    with web_app.app_context(), speaking("fr"):
        with pytest.raises(police_report.InvalidNumber) as refused:
            police_report.clean(typed)
        assert refused.value.message == ("Recopiez le numéro tel qu'il est écrit sur le document de "
                                         "la police, par exemple BR.12.L3.012345/2026.")


def _kept_number(app: Flask) -> str | None:
    with app.app_context():
        report = db.session.scalar(select(Report))
        assert report is not None
        return report.police_report_number


def _send(client: FlaskClient, lang: str, reference: str, number: str, **extra: str):
    page = client.get(f"/{lang}/track/report/{reference}").get_data(as_text=True)
    return client.post(f"/{lang}/track/report/{reference}/police-report",
                       data={"csrf_token": csrf_token(page), "number": number, **extra})


def test_the_reporter_adds_the_number_and_staff_see_it(app: Flask, client: FlaskClient) -> None:
    filed = file_and_confirm(client, "nl", "burglary", postal_code="1050", municipality="21009")
    client.get(filed.link)  # the private link opens the tracking page for this browser
    response = _send(client, "nl", filed.reference, "  BR.12.L3.012345/2026 ")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/nl/track/report/{filed.reference}?added=police#police-report")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Bedankt: het nummer van het proces-verbaal is toegevoegd." in page
    assert "BR.12.L3.012345/2026" in page
    with app.app_context():
        report = db.session.scalar(select(Report))
        assert report is not None and report.police_report_number == "BR.12.L3.012345/2026"
        assert report.events[-1].kind == "police_report" and report.events[-1].public
    make_user(app, "pv@ixelles.example", "staff", ("21009",))
    staff = app.test_client()
    assert login(staff, "pv@ixelles.example").status_code == 303
    page = staff.get(f"/fr/manage/reports/{filed.reference}").get_data(as_text=True)
    assert "Procès-verbal (PV)" in page and "BR.12.L3.012345/2026" in page
    assert "La personne qui a signalé a ajouté le numéro du procès-verbal." in page


def test_a_wrong_number_comes_back_at_its_field(app: Flask, client: FlaskClient) -> None:
    filed = file_and_confirm(client, "fr", "burglary")
    client.get(filed.link)
    response = _send(client, "fr", filed.reference, "PV 12")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="number-error"' in page and "par exemple BR.12.L3.012345/2026" in page
    assert 'value="PV 12"' in page
    response = _send(client, "fr", filed.reference, "   ")
    assert response.status_code == 422
    assert "Indiquez le numéro du procès-verbal." in response.get_data(as_text=True)
    assert _kept_number(app) is None


def test_without_the_form_token_nothing_is_kept(app: Flask, client: FlaskClient) -> None:
    filed = file_and_confirm(client, "en", "burglary")
    client.get(filed.link)
    response = client.post(f"/en/track/report/{filed.reference}/police-report",
                           data={"number": "BR.12.L3.012345/2026"})
    assert response.status_code == 422
    assert "The form had expired." in response.get_data(as_text=True)
    assert _kept_number(app) is None


def test_only_the_reporter_browser_can_add_it(app: Flask, client: FlaskClient) -> None:
    filed = file_and_confirm(client, "en", "burglary")
    other = app.test_client()
    page = other.get("/en/track/").get_data(as_text=True)
    response = other.post(f"/en/track/report/{filed.reference}/police-report",
                          data={"csrf_token": csrf_token(page), "number": "BR.12.L3.012345/2026"})
    assert response.status_code == 404


def test_adding_the_number_is_rate_limited(database: Database, tmp_path: Path, geo_cache: Path) -> None:
    with portal_on(database, tmp_path, geo_cache, RATELIMIT_ENABLED=True) as app:
        client = app.test_client()
        filed = file_and_confirm(client, "en", "burglary")
        client.get(filed.link)
        page = client.get(f"/en/track/report/{filed.reference}").get_data(as_text=True)
        token = csrf_token(page)
        budget = int(LIMITS["tracking"].split()[0])
        statuses = [client.post(f"/en/track/report/{filed.reference}/police-report",
                                data={"csrf_token": token, "number": "nonsense"}).status_code
                    for _attempt in range(budget + 1)]
        assert statuses == [422] * budget + [429]


def test_erasure_removes_the_number(app: Flask, client: FlaskClient) -> None:
    from portal.reports.privacy import erase_personal_data

    filed = file_and_confirm(client, "fr", "burglary")
    client.get(filed.link)
    assert _send(client, "fr", filed.reference, "BR.12.L3.012345/2026").status_code == 303
    with app.app_context():
        report = db.session.scalar(select(Report))
        assert report is not None
        erase_personal_data(report)
        db.session.commit()
        assert report.police_report_number is None
        assert all("number" not in (event.data or {}) for event in report.events)
    page = client.get(f"/fr/track/report/{filed.reference}").get_data(as_text=True)
    assert "BR.12.L3.012345/2026" not in page and not re.search('name="number"', page)
