"""Saved filters of the work list: per person, only known filters kept, bad names refused at the
field with what was typed, and the access table of their URLs."""
from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.reports.models import SavedFilter
from tests.reports.test_manage import ROLES, client_as
from tests.staff import make_user


@pytest.fixture
def users(app: Flask) -> dict[str, int]:
    return {role: make_user(app, *spec) for role, spec in ROLES.items() if spec}


def save_token(html: str) -> str:
    return re.search(r'action="[^"]*/reports/filters[^"]*" novalidate>\s*<input id="csrf_token" '
                     r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def saved(app: Flask) -> list[tuple[int, str, str]]:
    with app.app_context():
        return [(f.user_id, f.name, f.query) for f in db.session.scalars(select(SavedFilter).order_by(SavedFilter.id))]


def test_save_use_and_delete_a_filter(app: Flask, users: dict[str, int]) -> None:
    client = client_as(app, "staff-own")
    query = "status=new&category=vandalism&overdue=1&sort=oldest"
    page = client.get(f"/fr/manage/reports?{query}").get_data(as_text=True)
    response = client.post(f"/fr/manage/reports/filters?{query}&after=abc&evil=1",
                           data={"csrf_token": save_token(page), "name": "  Vandalisme   en retard "})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/fr/manage/reports?{query}"
    # Only the filters the list reads are kept; the name's spaces are tidied.
    assert saved(app) == [(users["staff-own"], "Vandalisme en retard", query)]
    page = client.get("/fr/manage/reports").get_data(as_text=True).replace("&amp;", "&")
    assert f'<a href="/fr/manage/reports?{query}">Vandalisme en retard</a>' in page
    # Saving again under the same name replaces the filters, it does not add a second one.
    client.post("/fr/manage/reports/filters?mine=1", data={"csrf_token": save_token(
        client.get("/fr/manage/reports?mine=1").get_data(as_text=True)), "name": "Vandalisme en retard"})
    assert saved(app) == [(users["staff-own"], "Vandalisme en retard", "mine=1")]
    # Another person neither sees nor deletes it.
    with app.app_context():
        filter_id = db.session.scalar(select(SavedFilter.id))
    coordinator = client_as(app, "coordinator")
    other_page = coordinator.get("/fr/manage/reports").get_data(as_text=True)
    assert "Vandalisme en retard" not in other_page
    token = re.search(r'name="csrf_token" value="([^"]+)"', other_page).group(1)
    assert coordinator.post(f"/fr/manage/reports/filters/{filter_id}/delete",
                            data={"csrf_token": token}).status_code == 404
    assert len(saved(app)) == 1
    page = client.get("/fr/manage/reports").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(f"/fr/manage/reports/filters/{filter_id}/delete", data={"csrf_token": token},
                           follow_redirects=True)
    assert "Filtre supprimé." in response.get_data(as_text=True)
    assert saved(app) == []


@pytest.mark.parametrize(("name", "message"), [("   ", "Donnez un nom au filtre."),
                                                ("x" * 81, "80 caract")])
def test_a_bad_name_comes_back_at_the_field(app: Flask, users: dict[str, int], name: str, message: str) -> None:
    client_fr = client_as(app, "staff-own")
    page = client_fr.get("/fr/manage/reports?overdue=1").get_data(as_text=True)
    response = client_fr.post("/fr/manage/reports/filters?overdue=1",
                              data={"csrf_token": save_token(page), "name": name})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'class="error-message" id="name-error"' in body and message in body
    if name.strip():
        assert f'value="{name}"' in body
    assert saved(app) == []


SAVE_EXPECTED = {"anonymous": 400, "staff-own": 303, "staff-other": 303, "coordinator": 303,
                 "organiser": 403, "admin": 403}
DELETE_EXPECTED = {"anonymous": 400, "staff-own": 303, "staff-other": 404, "coordinator": 404,
                   "organiser": 403, "admin": 403}


@pytest.mark.parametrize("role", list(ROLES))
def test_saved_filter_urls_for_every_role(app: Flask, users: dict[str, int], role: str) -> None:
    """Staff access table of the saved filters' URLs; a filter is deleted only by its owner."""
    owner = client_as(app, "staff-own")
    page = owner.get("/fr/manage/reports?overdue=1").get_data(as_text=True)
    assert owner.post("/fr/manage/reports/filters?overdue=1",
                      data={"csrf_token": save_token(page), "name": "Mine"}).status_code == 303
    with app.app_context():
        filter_id = db.session.scalar(select(SavedFilter.id))
    client = owner if role == "staff-own" else client_as(app, role)
    token = ""
    if role != "anonymous":
        other_page = client.get("/fr/manage/", follow_redirects=True).get_data(as_text=True)
        found = re.search(r'name="csrf_token" value="([^"]+)"', other_page)
        token = found.group(1) if found else ""
    response = client.post("/fr/manage/reports/filters?status=new", data={"csrf_token": token, "name": role})
    assert response.status_code == SAVE_EXPECTED[role]
    response = client.post(f"/fr/manage/reports/filters/{filter_id}/delete", data={"csrf_token": token})
    assert response.status_code == DELETE_EXPECTED[role]
    names = {name for _, name, _ in saved(app)}
    assert ("Mine" in names) == (role != "staff-own")
    assert (role in names) == (SAVE_EXPECTED[role] == 303)
