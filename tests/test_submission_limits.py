"""Budgets that real residents do not hit: a shared address (a school, a library, a mobile
operator) files many reports, a form that comes back with its errors or asks for the
municipality costs nothing; one browser session, and a robot sending only broken forms, are
still stopped."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import Database, portal_on
from tests.courses.helpers import make_session, post_sign_up
from tests.reports.helpers import post_report


@pytest.fixture
def limited(database: Database, tmp_path: Path, geo_cache: Path) -> Iterator[Flask]:
    """The portal with its rate limits on; a small guard on every POST, to test it quickly."""
    with portal_on(database, tmp_path, geo_cache, RATELIMIT_ENABLED=True,
                   RATELIMIT_FORM_POSTS="40 per hour") as application:
        yield application


def test_a_shared_address_files_more_reports_than_the_old_budget(limited: Flask) -> None:
    """21 residents behind one address (the old budget was 20 an hour per address)."""
    statuses = [post_report(limited.test_client(), "fr", description=f"Tag n° {n}").status_code
                for n in range(21)]
    assert statuses == [303] * 21


def test_one_browser_session_has_its_own_budget(limited: Flask) -> None:
    client = limited.test_client()
    statuses = [post_report(client, "nl", description=f"Graffiti {n}").status_code for n in range(11)]
    assert statuses == [303] * 10 + [429]
    refused = post_report(client, "nl", description="Nog een")
    assert refused.status_code == 429 and "Te veel pogingen" in refused.get_data(as_text=True)
    # Another resident at the same address is not blocked.
    assert post_report(limited.test_client(), "nl").status_code == 303


def test_errors_and_the_municipality_question_cost_nothing(limited: Flask) -> None:
    client = limited.test_client()
    for _ in range(12):
        assert post_report(client, "fr", postal_code="12").status_code == 422
    for _ in range(12):
        # 1050 is Ixelles or the City of Brussels: the form comes back asking which one.
        choice = post_report(client, "fr", postal_code="1050")
        assert choice.status_code == 200 and 'name="municipality"' in choice.get_data(as_text=True)
    assert post_report(client, "fr").status_code == 303


def test_a_robot_sending_only_broken_forms_is_still_stopped(limited: Flask) -> None:
    client = limited.test_client()
    statuses = [client.post("/fr/report/new/vandalism", data={"description": "x"}).status_code
                for _ in range(41)]
    assert statuses[:40] == [422] * 40 and statuses[40] == 429


def test_course_sign_ups_count_per_browser_session(limited: Flask) -> None:
    session_id = make_session(limited, capacity=30)
    client = limited.test_client()
    assert post_sign_up(client, session_id, "en", email="bad").status_code == 422  # costs nothing
    statuses = [post_sign_up(client, session_id, "en", email=f"p{n}@example.be").status_code
                for n in range(11)]
    assert statuses == [303] * 10 + [429]
    assert post_sign_up(limited.test_client(), session_id, "en", email="other@example.be").status_code == 303
