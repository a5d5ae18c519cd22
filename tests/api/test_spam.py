"""A report marked as spam is gone from the API: not in any list, and its single GET answers as
an unknown id does (the public list shows every reference: spam must not be one of them)."""
from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from portal.reports.models import Report
from tests.api.conftest import API, Key, file_report
from tests.reports.helpers import other_reference


def mark_spam(app: Flask, reference: str) -> None:
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.reference == reference))
        report.spam = True
        db.session.commit()


@pytest.fixture
def kept_and_spam(app: Flask, client: FlaskClient, ixelles_reader: Key) -> tuple[str, str]:
    kept = file_report(client, ixelles_reader)
    spam = file_report(client, ixelles_reader, description="Cheap watches, visit our shop")
    mark_spam(app, spam)
    return kept, spam


@pytest.mark.parametrize("reader", [False, True])
def test_spam_is_in_no_list(client: FlaskClient, kept_and_spam: tuple[str, str], ixelles_reader: Key,
                            reader: bool) -> None:
    kept, spam = kept_and_spam
    key = f"&api_key={ixelles_reader.raw}" if reader else ""
    for query in ("", "status=open", "service_code=vandalism", f"service_request_id={kept},{spam}"):
        response = client.get(f"{API}/requests.json?{query}{key}")
        assert response.status_code == 200
        assert [item["service_request_id"] for item in response.get_json()] == [kept], query
        assert spam not in client.get(f"{API}/requests.xml?{query}{key}").get_data(as_text=True)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_spam_report_answers_like_an_unknown_id(client: FlaskClient, kept_and_spam: tuple[str, str],
                                                  ixelles_reader: Key, fmt: str) -> None:
    kept, spam = kept_and_spam
    unknown = other_reference(spam)
    assert client.get(f"{API}/requests/{kept}.{fmt}").status_code == 200
    for key in ("", f"?api_key={ixelles_reader.raw}"):
        spam_answer = client.get(f"{API}/requests/{spam}.{fmt}{key}")
        unknown_answer = client.get(f"{API}/requests/{unknown}.{fmt}{key}")
        assert spam_answer.status_code == unknown_answer.status_code == 404
        assert spam_answer.headers["Content-Type"] == unknown_answer.headers["Content-Type"]
        assert (spam_answer.get_data(as_text=True).replace(spam, unknown)
                == unknown_answer.get_data(as_text=True))
