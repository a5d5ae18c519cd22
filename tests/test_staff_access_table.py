"""The staff access table: every address under ``/<lang>/manage/`` × every role.

The rows come from ``app.url_map``: each rule under ``/manage/`` and each of its methods needs a
row of ``TABLE``, so a staff address added without one fails
``test_the_table_has_every_staff_address`` (and a row whose rule is gone fails it too).

Every row is asked by each role of ``ROLES`` with a valid CSRF token of the role's own session:
a refusal is the access rule at work, never a missing token. A POST row reads what it may change
before and after: only the roles the table names changed anything, and exactly that. The bulk
actions send the references of a report of Ixelles and of one of the City of Brussels: a
reference the sender may not see is forged, and it is never touched.
"""
from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.accounts.models import StaffUser
from portal.courses import organising
from portal.courses.models import CourseSession, Registration
from portal.extensions import db
from portal.reports.models import Category, MunicipalContact, ReplyTemplate, Report, SavedFilter
from tests.courses.helpers import sign_up_direct
from tests.courses.test_organisers import edit_form, own_session, registration_id, session_form
from tests.reports.batch_helpers import make_reports
from tests.reports.helpers import jpeg_with_gps, post_report
from tests.reports.test_replies import add_template, template_data
from tests.staff import PASSWORD, login, make_user

#: The columns of the table, in this order.
ROLES = {
    "anonymous": None,
    "staff-other": ("other@bruxelles.example", "staff", ("21004",)),
    "staff": ("own@ixelles.example", "staff", ("21009",)),
    "organiser-other": ("other@courses.example", "organiser", ()),
    "organiser": ("org@courses.example", "organiser", ()),
    "coordinator": ("coord@region.example", "coordinator", ()),
    "admin": ("admin@region.example", "admin", ()),
}
#: An Ixelles colleague: assigned reports, and the account the administrators' rows change.
VICTIM = ("victim@ixelles.example", "staff", ("21009",))
REPORTER = "resident@example.org"
DESCRIPTION = "Graffiti on the school wall"  # the report's, as ``post_report`` sends it
#: The report page's actions; each acts on its own Ixelles report.
ACTIONS = ("acknowledge", "note", "answer", "status", "assign", "take", "assign_me", "spam",
           "transfer", "erase")
PREFIXES = {"acknowledge": "ack", "assign_me": "me"}
BULK_ACTIONS = ("acknowledge", "take", "assign_me", "spam", "assign")


@dataclass
class World:
    app: Flask
    users: dict[str, int]
    #: Values of the rows' addresses: {ref}, {photo}, {victim}, {session} …
    values: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def world(app: Flask) -> World:
    users = {role: make_user(app, *spec) for role, spec in ROLES.items() if spec}
    users["victim"] = make_user(app, *VICTIM)
    response = post_report(app.test_client(), "fr", "vandalism", postal_code="1050", municipality="21009",
                           email=REPORTER, photos=(io.BytesIO(jpeg_with_gps()), "a.jpg"))
    assert response.status_code == 303
    values: dict[str, Any] = {"victim": users["victim"]}
    with app.app_context():
        report = db.session.scalar(select(Report))
        values.update(ref=report.reference, photo=report.photos[0].id)
    for action, reference in zip(ACTIONS, make_reports(app, len(ACTIONS), "21009"), strict=True):
        values[f"ix_{action}"] = reference
    for action in BULK_ACTIONS:
        values[f"bulk_ix_{action}"] = make_reports(app, 1, "21009")[0]
        values[f"bulk_bx_{action}"] = make_reports(app, 1, "21004")[0]
    with app.app_context():
        db.session.add(SavedFilter(user_id=users["staff"], name="Mes nouveaux", query="status=new"))
        db.session.commit()
        values["filter"] = db.session.scalar(select(SavedFilter.id))
    values["template"], values["doomed_template"] = add_template(app), add_template(app)
    values["contact"] = _add_contact(app)
    values["session"] = own_session(app, users["organiser"], capacity=1)
    values["cancel_session"] = own_session(app, users["organiser"])
    sign_up_direct(app, values["session"], "ana@example.be", lang="nl", name="Ana Costa")
    sign_up_direct(app, values["session"], "bob@example.be", lang="fr", name="Bob Martin")
    values["holder"] = registration_id(app, "ana@example.be")
    values["waiting"] = registration_id(app, "bob@example.be")
    with app.app_context():
        organising.check_in(db.session.get(Registration, values["holder"]), True)
        db.session.commit()
    return World(app, users, values)


def _add_contact(app: Flask) -> int:
    with app.app_context():
        contact = MunicipalContact(municipality_nis="21009", email="contact@ixelles.example", language="fr")
        db.session.add(contact)
        db.session.commit()
        return contact.id


# What a row may change ----------------------------------------------------------------------

Probe = Callable[[World], dict[str, object]]


def _report_state(world: World, *references: str) -> dict[str, object]:
    with world.app.app_context():
        rows = {r.reference: r for r in db.session.scalars(
            select(Report).where(Report.reference.in_(references)))}
        return {ref: (len(rows[ref].events), rows[ref].status, rows[ref].spam, rows[ref].municipality_nis,
                      rows[ref].assigned_to_id, rows[ref].email) for ref in references}


def report_probe(key: str) -> Probe:
    return lambda world: {"report": _report_state(world, world.values[key])[world.values[key]]}


def bulk_probe(action: str) -> Probe:
    def probe(world: World) -> dict[str, object]:
        ixelles, brussels = world.values[f"bulk_ix_{action}"], world.values[f"bulk_bx_{action}"]
        state = _report_state(world, ixelles, brussels)
        return {"ixelles": state[ixelles], "brussels": state[brussels]}
    return probe


def scalar_probe(name: str, query: Callable[[World], Any]) -> Probe:
    def probe(world: World) -> dict[str, object]:
        with world.app.app_context():
            return {name: db.session.scalar(query(world))}
    return probe


def filters_probe(world: World) -> dict[str, object]:
    with world.app.app_context():
        rows = db.session.execute(select(SavedFilter.user_id, SavedFilter.name)).all()
        return {"filters": sorted(tuple(row) for row in rows)}


def victim_probe(world: World) -> dict[str, object]:
    with world.app.app_context():
        victim = db.session.get(StaffUser, world.values["victim"])
        return {"victim": (victim.active, sorted(victim.municipality_codes))}


# Form data, with the role's own CSRF token ---------------------------------------------------

Data = Callable[[World, str], dict[str, Any]]


def token_only(world: World, token: str) -> dict[str, Any]:
    return {"csrf_token": token}


def version(world: World, reference: str) -> int:
    with world.app.app_context():
        return int(db.session.scalar(select(Report.version).where(Report.reference == reference)))


def act_data(action: str) -> Data:
    def data(world: World, token: str) -> dict[str, Any]:
        prefix = PREFIXES.get(action, action)
        return {f"{prefix}-csrf_token": token,
                f"{prefix}-version": version(world, world.values[f"ix_{action}"]),
                "note-text": "Passage prévu jeudi.", "answer-text": "Nous passons jeudi, merci pour votre signalement.",
                "status-status": "resolved", "assign-assignee": str(world.values["victim"]),
                "transfer-municipality": "21004", "transfer-reason": "Les faits sont à Bruxelles.",
                "erase-reason": "La personne l'a demandé."}
    return data


def bulk_data(action: str) -> Data:
    def data(world: World, token: str) -> dict[str, Any]:
        items = [f"{ref}.{version(world, ref)}" for ref in
                 (world.values[f"bulk_ix_{action}"], world.values[f"bulk_bx_{action}"])]
        return {"csrf_token": token, "action": action, "item": items, "assignee": str(world.values["victim"])}
    return data


def category_data(world: World, token: str) -> dict[str, Any]:
    texts = {f"{name}_{lang}": f"Vandalisme ({lang})" for name in ("name", "description")
             for lang in ("fr", "nl", "en")}
    return {"csrf_token": token, **texts, "acknowledge_days": "3", "close_days": "20", "active": "y"}


# The table ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    """One request. ``expect``: the status for each role, in the order of ``ROLES``."""

    rule: str
    method: str
    path: str
    expect: str
    data: Data | None = None
    probe: Probe | None = None
    #: role -> the probe's keys that role changes (default: all of them for a 303, else none).
    changes: dict[str, set[str]] | None = None
    #: (text, roles): the text is in the page exactly for these roles.
    shows: tuple[tuple[str, frozenset[str]], ...] = ()

    def statuses(self) -> dict[str, int]:
        codes = [int(code) for code in self.expect.split()]
        assert len(codes) == len(ROLES), self
        return dict(zip(ROLES, codes, strict=True))


M = "/<lang:lang>/manage"
SEES_IXELLES = frozenset({"staff", "coordinator"})
SEES_SESSION = frozenset({"organiser", "admin"})
_S = f"{M}/courses/<int(max=2147483647):session_id>"
_R = f"{_S}/registrations/<int(max=2147483647):registration_id>"

#                              anonymous staff-other staff organiser-other organiser coordinator admin
TABLE: list[Row] = [
    # Where each role starts; the workspace's pages of reports.
    Row(f"{M}/", "GET", "/fr/manage/", "302 302 302 302 302 302 200"),
    Row(f"{M}/reports", "GET", "/fr/manage/reports", "302 200 200 403 403 200 403",
        shows=(('/manage/reports/{ref}"', SEES_IXELLES), ("Mes nouveaux", frozenset({"staff"})))),
    Row(f"{M}/reports/<reference>", "GET", "/fr/manage/reports/{ref}", "302 404 200 403 403 200 403",
        shows=((REPORTER, frozenset({"staff"})),)),
    Row(f"{M}/reports/<reference>/photos/<int:photo_id>", "GET", "/fr/manage/reports/{ref}/photos/{photo}",
        "302 404 200 403 403 200 403"),
    Row(f"{M}/reports/<reference>/print", "GET", "/fr/manage/reports/{ref}/print", "302 404 200 403 403 200 403"),
    Row(f"{M}/reports/export.csv", "GET", "/fr/manage/reports/export.csv", "302 200 200 403 403 200 403",
        shows=(("{ref}", SEES_IXELLES),)),
    Row(f"{M}/reports/map", "GET", "/fr/manage/reports/map", "302 200 200 403 403 200 403"),
    Row(f"{M}/statistics", "GET", "/fr/manage/statistics", "302 200 200 403 403 200 403",
        shows=(("comparison", frozenset({"coordinator"})),)),
    Row(f"{M}/access-log", "GET", "/fr/manage/access-log", "302 403 403 403 403 403 200"),
    # Reply templates: coordinators and administrators.
    Row(f"{M}/replies/", "GET", "/fr/manage/replies/", "302 403 403 403 403 200 200"),
    Row(f"{M}/replies/new", "GET", "/fr/manage/replies/new", "302 403 403 403 403 200 200"),
    Row(f"{M}/replies/<int:template_id>", "GET", "/fr/manage/replies/{template}", "302 403 403 403 403 200 200"),
    # Administration.
    Row(f"{M}/admin/", "GET", "/fr/manage/admin/", "302 403 403 403 403 403 200"),
    Row(f"{M}/admin/users", "GET", "/fr/manage/admin/users", "302 403 403 403 403 403 200"),
    Row(f"{M}/admin/users/new", "GET", "/fr/manage/admin/users/new", "302 403 403 403 403 403 200"),
    Row(f"{M}/admin/users/<int:user_id>", "GET", "/fr/manage/admin/users/{victim}", "302 403 403 403 403 403 200"),
    Row(f"{M}/admin/categories", "GET", "/fr/manage/admin/categories", "302 403 403 403 403 403 200"),
    Row(f"{M}/admin/categories/<code>", "GET", "/fr/manage/admin/categories/vandalism", "302 403 403 403 403 403 200"),
    Row(f"{M}/admin/contacts", "GET", "/fr/manage/admin/contacts", "302 403 403 403 403 403 200"),
    # Courses: the session's organiser and administrators; another organiser sees none of it.
    Row(f"{M}/courses/", "GET", "/fr/manage/courses/", "302 403 403 200 200 403 200",
        shows=(('href="/fr/manage/courses/{session}"', SEES_SESSION),)),
    Row(f"{M}/courses/new", "GET", "/fr/manage/courses/new", "302 403 403 200 200 403 200"),
    Row(_S, "GET", "/fr/manage/courses/{session}", "302 403 403 404 200 403 200"),
    Row(f"{_S}/edit", "GET", "/fr/manage/courses/{session}/edit", "302 403 403 404 200 403 200"),
    Row(f"{_S}/cancel", "GET", "/fr/manage/courses/{session}/cancel", "302 403 403 404 200 403 200"),
    Row(f"{_S}/check-in", "GET", "/fr/manage/courses/{session}/check-in", "302 403 403 404 200 403 200"),
    Row(f"{_S}/participants.csv", "GET", "/fr/manage/courses/{session}/participants.csv",
        "302 403 403 404 200 403 200"),
    Row(f"{_S}/attestations", "GET", "/fr/manage/courses/{session}/attestations", "302 403 403 404 200 403 200"),
    Row(f"{_R}/attestation", "GET", "/fr/manage/courses/{session}/registrations/{holder}/attestation",
        "302 403 403 404 200 403 200"),
    # One's own account.
    Row(f"{M}/login", "GET", "/fr/manage/login", "200 302 302 302 302 302 302"),
    Row(f"{M}/login/code", "GET", "/fr/manage/login/code", "303 303 303 303 303 303 303"),
    Row(f"{M}/password/reset", "GET", "/fr/manage/password/reset", "200 200 200 200 200 200 200"),
    Row(f"{M}/password/reset/<token>", "GET", "/fr/manage/password/reset/not-a-token", "404 404 404 404 404 404 404"),
    Row(f"{M}/sessions", "GET", "/fr/manage/sessions", "302 200 200 200 200 200 200"),

    # Changes. Saved filters: each person's own.
    Row(f"{M}/reports/filters", "POST", "/fr/manage/reports/filters?status=new", "302 303 303 403 403 303 403",
        data=lambda world, token: {"csrf_token": token, "name": "Nouveaux"}, probe=filters_probe),
    Row(f"{M}/reports/filters/<int:filter_id>/delete", "POST", "/fr/manage/reports/filters/{filter}/delete",
        "302 404 303 403 403 404 403", data=token_only, probe=filters_probe),
    # Bulk actions: one Ixelles report and one of the City of Brussels ticked (forged for
    # whoever may not see one of them); each sender changes only what they may see.
    *(Row(f"{M}/reports/batch", "POST", "/fr/manage/reports/batch", "302 303 303 403 403 303 403",
          data=bulk_data(action), probe=bulk_probe(action),
          changes={"staff": {"ixelles"}, "staff-other": {"brussels"}, "coordinator": {"ixelles", "brussels"}}
          if action != "assign" else {"staff": {"ixelles"}, "coordinator": {"ixelles"}})
      for action in BULK_ACTIONS),
    # The report page's actions, each on its own Ixelles report.
    *(Row(f"{M}/reports/<reference>/<action>", "POST", f"/fr/manage/reports/{{ix_{action}}}/{action}",
          "302 404 303 403 403 303 403", data=act_data(action), probe=report_probe(f"ix_{action}"))
      for action in ACTIONS),
    # Reply templates.
    Row(f"{M}/replies/new", "POST", "/fr/manage/replies/new", "302 403 403 403 403 303 303",
        data=lambda world, token: template_data(token, "burglary"),
        probe=scalar_probe("templates", lambda world: select(func.count()).select_from(ReplyTemplate))),
    Row(f"{M}/replies/<int:template_id>", "POST", "/fr/manage/replies/{template}", "302 403 403 403 403 303 303",
        data=lambda world, token: {**template_data(token), "text_fr": "Nous passerons lundi."},
        probe=scalar_probe("text", lambda world: select(ReplyTemplate.text_fr).where(
            ReplyTemplate.id == world.values["template"]))),
    Row(f"{M}/replies/<int:template_id>/delete", "POST", "/fr/manage/replies/{doomed_template}/delete",
        "302 403 403 403 403 303 303", data=token_only,
        probe=scalar_probe("doomed", lambda world: select(func.count()).where(
            ReplyTemplate.id == world.values["doomed_template"]))),
    # Administration.
    Row(f"{M}/admin/users/new", "POST", "/fr/manage/admin/users/new", "302 403 403 403 403 403 303",
        data=lambda world, token: {"csrf_token": token, "email": "new@ixelles.example", "name": "Nina Nieuw",
                                   "role": "staff", "municipalities": "21009", "language": "nl"},
        probe=scalar_probe("new user", lambda world: select(func.count()).where(
            StaffUser.email == "new@ixelles.example"))),
    Row(f"{M}/admin/users/<int:user_id>", "POST", "/fr/manage/admin/users/{victim}", "302 403 403 403 403 403 303",
        data=lambda world, token: {"csrf_token": token, "municipalities": ["21009", "21004"]}, probe=victim_probe),
    Row(f"{M}/admin/users/<int:user_id>/<any(enable,disable):action>", "POST",
        "/fr/manage/admin/users/{victim}/disable", "302 403 403 403 403 403 303", data=token_only, probe=victim_probe),
    Row(f"{M}/admin/categories/<code>", "POST", "/fr/manage/admin/categories/vandalism",
        "302 403 403 403 403 403 303", data=category_data,
        probe=scalar_probe("name", lambda world: select(Category.name_nl).where(
            Category.code == "vandalism"))),
    Row(f"{M}/admin/contacts", "POST", "/fr/manage/admin/contacts", "302 403 403 403 403 403 303",
        data=lambda world, token: {"csrf_token": token, "municipality": "21004", "category": "",
                                   "email": "prevention@bruxelles.example", "language": "nl"},
        probe=scalar_probe("contacts", lambda world: select(func.count()).select_from(MunicipalContact))),
    Row(f"{M}/admin/contacts/<int:contact_id>/remove", "POST", "/fr/manage/admin/contacts/{contact}/remove",
        "302 403 403 403 403 403 303", data=token_only,
        probe=scalar_probe("contact", lambda world: select(func.count()).where(
            MunicipalContact.id == world.values["contact"]))),
    # Courses.
    Row(f"{M}/courses/new", "POST", "/fr/manage/courses/new", "302 403 403 303 303 403 303",
        data=lambda world, token: session_form(token),
        probe=scalar_probe("sessions", lambda world: select(func.count()).select_from(CourseSession))),
    Row(f"{_S}/edit", "POST", "/fr/manage/courses/{session}/edit", "302 403 403 404 303 403 303",
        data=lambda world, token: edit_form(world.app, world.values["session"], token, venue_name="Salle B"),
        probe=scalar_probe("venue", lambda world: select(CourseSession.venue_name).where(
            CourseSession.id == world.values["session"]))),
    Row(f"{_R}/check-in", "POST", "/fr/manage/courses/{session}/registrations/{holder}/check-in",
        "302 403 403 404 303 403 303", data=lambda world, token: {"csrf_token": token, "attended": "0"},
        probe=scalar_probe("attended", lambda world: select(Registration.attended).where(
            Registration.id == world.values["holder"]))),
    Row(f"{_R}/promote", "POST", "/fr/manage/courses/{session}/registrations/{waiting}/promote",
        "302 403 403 404 303 403 303",
        data=lambda world, token: {f"p{world.values['waiting']}-csrf_token": token,
                                   f"p{world.values['waiting']}-reason": "Examen de conduite lundi",
                                   f"p{world.values['waiting']}-over_capacity": "y"},
        probe=scalar_probe("waiting", lambda world: select(Registration.status).where(
            Registration.id == world.values["waiting"]))),
    Row(f"{_S}/cancel", "POST", "/fr/manage/courses/{cancel_session}/cancel", "302 403 403 404 303 403 303",
        data=token_only,
        probe=scalar_probe("status", lambda world: select(CourseSession.status).where(
            CourseSession.id == world.values["cancel_session"]))),
    # One's own account: a wrong password is said at the field; whoever is logged in is sent on.
    Row(f"{M}/login", "POST", "/fr/manage/login", "422 302 302 302 302 302 302",
        data=lambda world, token: {"csrf_token": token, "email": ROLES["staff"][0], "password": "wrong"}),
    Row(f"{M}/login/code", "POST", "/fr/manage/login/code", "303 303 303 303 303 303 303",
        data=lambda world, token: {"csrf_token": token, "code": "123456"}),
    Row(f"{M}/password/reset", "POST", "/fr/manage/password/reset", "303 303 303 303 303 303 303",
        data=lambda world, token: {"csrf_token": token, "email": "nobody@example.org"}),
    Row(f"{M}/password/reset/<token>", "POST", "/fr/manage/password/reset/not-a-token",
        "404 404 404 404 404 404 404",
        data=lambda world, token: {"csrf_token": token, "password": PASSWORD + "!", "confirm": PASSWORD + "!"}),
    Row(f"{M}/sessions/end-others", "POST", "/fr/manage/sessions/end-others", "302 303 303 303 303 303 303",
        data=token_only),
    Row(f"{M}/logout", "POST", "/fr/manage/logout", "302 303 303 303 303 303 303", data=token_only),  # last
]


def staff_rules(app: Flask) -> set[tuple[str, str]]:
    """(rule, method) of every staff address of the URL map."""
    return {(rule.rule, method) for rule in app.url_map.iter_rules() if rule.rule.startswith(M)
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}}


def test_the_table_has_every_staff_address(web_app: Flask) -> None:
    rows = {(row.rule, row.method) for row in TABLE}
    assert sorted(staff_rules(web_app) - rows) == [], "staff addresses without a row in TABLE"
    assert sorted(rows - staff_rules(web_app)) == [], "rows of TABLE whose address is gone"


def client_for(app: Flask, role: str) -> tuple[FlaskClient, str]:
    """A client logged in as ``role`` (none for anonymous) and a CSRF token of its own session."""
    client = app.test_client()
    if ROLES[role]:
        assert login(client, ROLES[role][0]).status_code == 303
    page = client.get("/fr/manage/sessions" if ROLES[role] else "/fr/manage/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page)
    assert token, page[:2000]
    return client, token.group(1)


@pytest.mark.parametrize("role", list(ROLES))
def test_every_staff_address_for_every_role(world: World, role: str) -> None:
    client, token = client_for(world.app, role)
    wrong = []
    for row in TABLE:
        path = row.path.format(**world.values)
        before = row.probe(world) if row.probe else {}
        if row.method == "GET":
            response = client.get(path)
        else:
            response = client.post(path, data=row.data(world, token) if row.data else {})
        after = row.probe(world) if row.probe else {}
        status = response.status_code
        expected = row.statuses()[role]
        if status != expected:
            wrong.append((row.method, path, status, expected))
            continue
        changed = {key for key in before if before[key] != after[key]}
        want = row.changes.get(role, set()) if row.changes is not None else (
            set(before) if status == 303 else set())
        if changed != want:
            wrong.append((row.method, path, "changed", sorted(changed), "expected", sorted(want)))
        body = response.get_data().decode("utf-8", "replace")
        for text, roles in row.shows:
            if status == 200 and (text.format(**world.values) in body) != (role in roles):
                wrong.append((row.method, path, "shows", text, role in roles))
        if status in (403, 404):  # a refusal says nothing of what it refuses (flashes: the role's own doing)
            page = re.sub(r'<div class="flashes".*?</div>', "", body, flags=re.S)
            assert not any(secret in page for secret in (REPORTER, DESCRIPTION, "Ana Costa")), path
        if status == 302 and role == "anonymous":
            assert "/fr/manage/login" in response.headers["Location"], path
    assert wrong == [], "\n".join(map(str, wrong))
