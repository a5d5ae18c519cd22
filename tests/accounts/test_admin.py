"""The administrators' pages: who may open them (as a table), accounts, categories, contacts."""
from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from tests.conftest import csrf_token
from tests.outbox import rendered
from tests.reports.helpers import post_report
from tests.staff import category_form_data, login, make_user

ROLES = {
    "anonymous": None,
    "staff": ("own@ixelles.example", "staff", ("21009",)),
    "coordinator": ("coord@region.example", "coordinator", ()),
    "organiser": ("org@courses.example", "organiser", ()),
    "admin": ("admin@region.example", "admin", ()),
}
EXPECTED = {"anonymous": 302, "staff": 403, "coordinator": 403, "organiser": 403, "admin": 200}


@pytest.fixture
def people(app: Flask) -> dict[str, int]:
    return {role: make_user(app, *spec) for role, spec in ROLES.items() if spec}


def client_as(app: Flask, role: str) -> FlaskClient:
    client = app.test_client()
    if ROLES[role]:
        assert login(client, ROLES[role][0]).status_code == 303
    return client


def admin_client(app: Flask) -> FlaskClient:
    return client_as(app, "admin")


@pytest.mark.parametrize("role", list(ROLES))
def test_every_admin_url_for_every_role(app: Flask, people: dict[str, int], role: str) -> None:
    client = client_as(app, role)
    staff_id = people["staff"]
    urls = ["/fr/manage/admin/", "/nl/manage/admin/users", "/en/manage/admin/users/new",
            f"/fr/manage/admin/users/{staff_id}", "/fr/manage/admin/categories",
            "/fr/manage/admin/categories/vandalism", "/fr/manage/admin/contacts"]
    statuses = [client.get(url).status_code for url in urls]
    assert statuses == [EXPECTED[role]] * len(urls), statuses
    if role == "anonymous":
        assert client.get(urls[0]).headers["Location"].startswith("/fr/manage/login")
        return
    # Writes too: with a valid CSRF token, everyone but an administrator is refused.
    token = csrf_token(client.get("/fr/manage/" if role != "staff" else "/fr/manage/reports",
                                  follow_redirects=True).get_data(as_text=True))
    posts = [(f"/fr/manage/admin/users/{staff_id}/disable", {}),
             (f"/fr/manage/admin/users/{staff_id}", {"municipalities": "21004"}),
             ("/fr/manage/admin/users/new", {"email": "x@example.org", "name": "X", "role": "admin",
                                             "language": "fr"}),
             ("/fr/manage/admin/categories/vandalism", {"name_nl": "X"}),
             ("/fr/manage/admin/contacts", {"municipality": "21009", "email": "x@example.org",
                                            "language": "fr"}),
             ("/fr/manage/admin/contacts/1/remove", {})]
    expected = 403 if role != "admin" else None
    for url, data in posts:
        response = client.post(url, data={"csrf_token": token, **data})
        if expected:
            assert response.status_code == 403, url
    if role != "admin":
        from portal.accounts.models import StaffUser
        from portal.reports.models import MunicipalContact

        with app.app_context():
            assert db.session.get(StaffUser, staff_id).active
            assert db.session.scalars(select(MunicipalContact)).all() == []


def test_index_links_the_admin_pages_for_admins_only(app: Flask, people: dict[str, int]) -> None:
    page = admin_client(app).get("/fr/manage/").get_data(as_text=True)
    for url in ("/fr/manage/admin/users", "/fr/manage/admin/categories", "/fr/manage/admin/contacts"):
        assert f'href="{url}"' in page
    organiser = client_as(app, "organiser").get("/fr/manage/", follow_redirects=True).get_data(as_text=True)
    assert "/manage/admin/" not in organiser


def test_create_user_sends_a_reset_link_and_the_user_can_log_in(app: Flask, people: dict[str, int]) -> None:
    from portal.accounts.models import StaffUser
    from portal.notify.models import OutboxMessage

    client = admin_client(app)
    listing = client.get("/fr/manage/admin/users").get_data(as_text=True)
    assert "own@ixelles.example" in listing and "Ixelles" in listing
    page = client.get("/fr/manage/admin/users/new").get_data(as_text=True)
    assert page.count('type="checkbox"') == 19
    # Municipal staff without a municipality: refused at the field, with what was typed kept.
    data = {"csrf_token": csrf_token(page), "email": "Nina@Schaerbeek.example", "name": "Nina Peeters",
            "role": "staff", "language": "nl"}
    refused = client.post("/fr/manage/admin/users/new", data=data)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'value="Nina Peeters"' in html and 'value="Nina@Schaerbeek.example"' in html
    assert 'id="municipalities-error"' in html
    # An existing address is refused at the e-mail field.
    taken = client.post("/fr/manage/admin/users/new",
                        data={**data, "email": "own@ixelles.example", "municipalities": "21015"})
    assert taken.status_code == 422 and 'id="email-error"' in taken.get_data(as_text=True)
    done = client.post("/fr/manage/admin/users/new",
                       data={**data, "municipalities": ["21015", "21009"]})
    assert done.status_code == 303 and done.headers["Location"] == "/fr/manage/admin/users"
    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.email == "nina@schaerbeek.example"))
        assert user.role == "staff" and sorted(user.municipality_codes) == ["21009", "21015"]
        assert user.language == "nl"
        [message] = map(rendered, db.session.scalars(select(OutboxMessage)).all())
        assert message.recipient == "nina@schaerbeek.example" and message.language == "nl"
        # A welcome, in her language, naming her role and municipalities: not a password reset.
        assert message.subject == "Uw personeelsaccount op Preventieportaal Brussel"
        assert "Gemeentepersoneel" in message.body and "Elsene, Schaarbeek" in message.body
        assert "/nl/manage/password/reset\n" in message.body.replace("\r", "")
        assert "wachtwoord te wijzigen" not in message.body
        link = re.search(r"http://[^/]+(/nl/manage/password/reset/\S+)", message.body).group(1)
    newcomer = app.test_client()
    form = newcomer.get(link)
    assert form.status_code == 200
    password = "a password of my own"
    assert newcomer.post(link, data={"csrf_token": csrf_token(form.get_data(as_text=True)),
                                     "password": password, "confirm": password}).status_code == 303
    assert login(newcomer, "nina@schaerbeek.example", password).status_code == 303
    assert newcomer.get("/fr/manage/reports").status_code == 200


def test_disable_enable_and_change_municipalities(app: Flask, people: dict[str, int]) -> None:
    from portal.accounts.models import StaffUser

    client = admin_client(app)
    staff_id = people["staff"]
    page = client.get(f"/fr/manage/admin/users/{staff_id}").get_data(as_text=True)
    assert re.search(r'value="21009"[^>]*checked|checked[^>]*value="21009"', page)
    token = csrf_token(page)
    assert client.post(f"/fr/manage/admin/users/{staff_id}/disable",
                       data={"csrf_token": token}).status_code == 303
    with app.app_context():
        assert not db.session.get(StaffUser, staff_id).active
    assert login(app.test_client(), "own@ixelles.example").status_code == 422
    assert client.post(f"/fr/manage/admin/users/{staff_id}/enable",
                       data={"csrf_token": token}).status_code == 303
    assert login(app.test_client(), "own@ixelles.example").status_code == 303
    # Staff keep at least one municipality.
    empty = client.post(f"/fr/manage/admin/users/{staff_id}", data={"csrf_token": token})
    assert empty.status_code == 422 and 'id="municipalities-error"' in empty.get_data(as_text=True)
    moved = client.post(f"/fr/manage/admin/users/{staff_id}",
                        data={"csrf_token": token, "municipalities": ["21004", "21001"]})
    assert moved.status_code == 303
    with app.app_context():
        assert sorted(db.session.get(StaffUser, staff_id).municipality_codes) == ["21001", "21004"]
    # An administrator cannot lock themselves out.
    assert client.post(f"/fr/manage/admin/users/{people['admin']}/disable",
                       data={"csrf_token": token}).status_code == 303
    with app.app_context():
        assert db.session.get(StaffUser, people["admin"]).active
    # Without a CSRF token nothing happens.
    assert client.post(f"/fr/manage/admin/users/{staff_id}/disable").status_code == 400


def test_edit_category_shows_on_the_public_page(app: Flask, people: dict[str, int]) -> None:
    from portal.reports.models import Category

    client = admin_client(app)
    assert "/fr/manage/admin/categories/vandalism" in client.get("/fr/manage/admin/categories").get_data(as_text=True)
    page = client.get("/fr/manage/admin/categories/vandalism").get_data(as_text=True)
    data = category_form_data(page)
    assert data.get("active") == "y"
    # Errors at the field, with the typed values kept.
    bad = client.post("/fr/manage/admin/categories/vandalism",
                      data={**data, "name_nl": "Kapotte bank", "close_days": "veel", "description_en": ""})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'value="Kapotte bank"' in html and 'value="veel"' in html
    assert 'id="close_days-error"' in html and 'id="description_en-error"' in html
    out_of_range = client.post("/nl/manage/admin/categories/vandalism", data={**data, "acknowledge_days": "0"})
    assert out_of_range.status_code == 422 and 'id="acknowledge_days-error"' in out_of_range.get_data(as_text=True)
    too_soon = client.post("/fr/manage/admin/categories/vandalism",
                           data={**data, "acknowledge_days": "10", "close_days": "5"})
    assert too_soon.status_code == 422 and 'id="close_days-error"' in too_soon.get_data(as_text=True)
    done = client.post("/fr/manage/admin/categories/vandalism",
                       data={**data, "name_nl": "Vernieling van straatmeubilair", "close_days": "20"})
    assert done.status_code == 303
    assert "Vernieling van straatmeubilair" in app.test_client().get("/nl/report/categories").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Category, "vandalism").close_days == 20
    # Unticking "active" takes it off the residents' list.
    data.pop("active")
    assert client.post("/fr/manage/admin/categories/vandalism", data=data).status_code == 303
    assert "/nl/report/new/vandalism" not in app.test_client().get("/nl/report/categories").get_data(as_text=True)
    assert client.get("/fr/manage/admin/categories/nope").status_code == 404


def test_contact_gets_new_reports_until_removed(app: Flask, people: dict[str, int]) -> None:
    from portal.notify.models import OutboxMessage
    from portal.reports.models import MunicipalContact

    client = admin_client(app)
    page = client.get("/fr/manage/admin/contacts").get_data(as_text=True)
    assert "Ixelles" in page
    data = {"csrf_token": csrf_token(page), "municipality": "21009", "category": "",
            "email": "Prevention@Ixelles.example", "language": "nl"}
    bad = client.post("/fr/manage/admin/contacts", data={**data, "email": "not an address"})
    assert bad.status_code == 422
    assert 'value="not an address"' in bad.get_data(as_text=True)
    assert client.post("/fr/manage/admin/contacts", data=data).status_code == 303
    twice = client.post("/fr/manage/admin/contacts", data=data)
    assert twice.status_code == 422 and 'id="email-error"' in twice.get_data(as_text=True)
    listing = client.get("/fr/manage/admin/contacts").get_data(as_text=True)
    assert "prevention@ixelles.example" in listing
    with app.app_context():
        [contact] = db.session.scalars(select(MunicipalContact)).all()
        contact_id = contact.id
        assert contact.category_code is None and contact.language == "nl"

    assert post_report(app.test_client(), "fr", "vandalism", postal_code="1050",
                       municipality="21009").status_code == 303
    with app.app_context():
        sent = [m for m in db.session.scalars(select(OutboxMessage)) if m.recipient == "prevention@ixelles.example"]
        assert len(sent) == 1 and sent[0].language == "nl"

    assert client.post(f"/fr/manage/admin/contacts/{contact_id}/remove",
                       data={"csrf_token": csrf_token(listing)}).status_code == 303
    assert client.post(f"/fr/manage/admin/contacts/{contact_id}/remove",
                       data={"csrf_token": csrf_token(listing)}).status_code == 404
    assert post_report(app.test_client(), "fr", "vandalism", postal_code="1050",
                       municipality="21009").status_code == 303
    with app.app_context():
        assert db.session.scalars(select(MunicipalContact)).all() == []
        sent = [m for m in db.session.scalars(select(OutboxMessage)) if m.recipient == "prevention@ixelles.example"]
        assert len(sent) == 1
