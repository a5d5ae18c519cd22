"""Fewer clicks: take a report in one step, bulk actions on the list (access table, forged
references, conflicts), and the report page keeping the list's filters and order."""
from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.reports.models import Report
from tests.reports.batch_helpers import make_reports
from tests.reports.test_manage import ROLES, client_as
from tests.staff import action_fields, make_user


@pytest.fixture
def users(app: Flask) -> dict[str, int]:
    return {role: make_user(app, *spec) for role, spec in ROLES.items() if spec}


def reports_by_reference(app: Flask) -> dict[str, Report]:
    with app.app_context():
        rows = db.session.scalars(select(Report)).all()
        for row in rows:
            _ = row.assigned_to, row.events  # loaded before the session ends
        db.session.expunge_all()
        return {row.reference: row for row in rows}


def list_items(html: str) -> list[str]:
    """The values of the list's check boxes: reference.version."""
    return re.findall(r'name="item" id="item-\d+" value="([^"]+)"', html)


def batch_csrf(html: str) -> str:
    return re.search(r'<form method="post" action="[^"]*/reports/batch[^"]*"[^>]*>\s*'
                     r'<input type="hidden" name="csrf_token" value="([^"]+)"', html).group(1)


EXPECTED_BATCH = {"anonymous": 400, "staff-own": 303, "staff-other": 303, "coordinator": 303,
                  "organiser": 403, "admin": 403}
CHANGES = {"staff-own", "coordinator"}


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("action", ["acknowledge", "take", "assign_me", "spam", "assign"])
def test_every_bulk_action_for_every_role(app: Flask, users: dict[str, int], role: str,
                                          action: str) -> None:
    """The staff access table for the bulk actions: only those who may see a report change it,
    whoever forges the form."""
    references = make_reports(app, 2, "21009")
    owner = client_as(app, "staff-own")
    page = owner.get("/fr/manage/reports").get_data(as_text=True)
    items = list_items(page)
    assert sorted(item.split(".")[0] for item in items) == sorted(references)
    data = {"csrf_token": batch_csrf(page), "item": items, "action": action,
            "assignee": str(users["staff-own"])}
    client = owner if role == "staff-own" else client_as(app, role)
    if role not in ("staff-own", "anonymous"):
        other_page = client.get("/fr/manage/", follow_redirects=True).get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', other_page)
        if token:
            data["csrf_token"] = token.group(1)
    response = client.post("/fr/manage/reports/batch", data=data)
    assert response.status_code == EXPECTED_BATCH[role]
    after = reports_by_reference(app)
    changed = [ref for ref in references if len(after[ref].events) > 1]
    assert changed == (references if role in CHANGES else [])


def test_take_fifty_with_one_post(app: Flask, users: dict[str, int]) -> None:
    references = make_reports(app, 50, "21009")
    client = client_as(app, "staff-own")
    page = client.get("/nl/manage/reports?status=new&sort=oldest").get_data(as_text=True)
    items = list_items(page)
    assert len(items) == 50
    response = client.post("/nl/manage/reports/batch?status=new&sort=oldest",
                           data={"csrf_token": batch_csrf(page), "item": items, "action": "take"})
    # Back to the same filtered list.
    assert response.headers["Location"] == "/nl/manage/reports?status=new&sort=oldest"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "50 meldingen verwerkt." in page
    assert "Geen enkele melding komt overeen met deze filters." in page
    after = reports_by_reference(app)
    assert {after[ref].status for ref in references} == {"acknowledged"}
    assert {after[ref].assigned_to_id for ref in references} == {users["staff-own"]}
    assert [e.kind for e in after[references[0]].events] == ["created", "status", "assigned"]


def test_forged_reference_of_another_municipality_is_never_touched(app: Flask, users: dict[str, int]) -> None:
    own = make_reports(app, 1, "21009")[0]
    brussels = make_reports(app, 1, "21004")[0]
    client = client_as(app, "staff-own")
    page = client.get("/fr/manage/reports").get_data(as_text=True)
    assert brussels not in page
    for action in ("take", "spam", "acknowledge", "assign_me"):
        response = client.post("/fr/manage/reports/batch", data={
            "csrf_token": batch_csrf(page), "action": action,
            "item": [f"{brussels}.1", f"{brussels}.2", f"{own}.999"]}, follow_redirects=True)
        body = response.get_data(as_text=True)
        assert response.status_code == 200
        # Skipped as "not found", exactly as a reference that does not exist.
        assert f"{brussels} (introuvable)" in body
    after = reports_by_reference(app)
    assert [e.kind for e in after[brussels].events] == ["created"]
    assert after[brussels].status == "new" and not after[brussels].spam


def test_a_report_changed_meanwhile_is_skipped_and_the_others_done(app: Flask, users: dict[str, int]) -> None:
    first, second = make_reports(app, 2, "21009")
    owner, coordinator = client_as(app, "staff-own"), client_as(app, "coordinator")
    page = owner.get("/en/manage/reports").get_data(as_text=True)
    # A colleague acknowledges the first report after the list was shown.
    report_page = coordinator.get(f"/fr/manage/reports/{first}").get_data(as_text=True)
    assert coordinator.post(f"/fr/manage/reports/{first}/acknowledge",
                            data=action_fields(report_page, "ack")).status_code == 303
    response = owner.post("/en/manage/reports/batch", data={
        "csrf_token": batch_csrf(page), "item": list_items(page), "action": "spam"},
        follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "1 report done." in body
    assert f"1 report skipped: {first} (changed by a colleague meanwhile)." in body
    after = reports_by_reference(app)
    assert not after[first].spam and after[first].status == "acknowledged"
    assert after[second].spam and after[second].status == "closed"


def test_assign_to_a_colleague_of_another_municipality_is_refused(app: Flask, users: dict[str, int]) -> None:
    own = make_reports(app, 1, "21009")[0]
    client = client_as(app, "staff-own")
    page = client.get("/fr/manage/reports").get_data(as_text=True)
    response = client.post("/fr/manage/reports/batch", data={
        "csrf_token": batch_csrf(page), "item": list_items(page), "action": "assign",
        "assignee": str(users["staff-other"])}, follow_redirects=True)
    assert f"{own} (l&#39;action ne s&#39;applique pas)" in response.get_data(as_text=True)
    assert reports_by_reference(app)[own].assigned_to_id is None


def test_nothing_ticked_or_no_token(app: Flask, users: dict[str, int]) -> None:
    make_reports(app, 1, "21009")
    client = client_as(app, "staff-own")
    page = client.get("/fr/manage/reports").get_data(as_text=True)
    response = client.post("/fr/manage/reports/batch", data={"csrf_token": batch_csrf(page),
                                                             "action": "take"}, follow_redirects=True)
    assert "Cochez d&#39;abord au moins un signalement." in response.get_data(as_text=True)
    response = client.post("/fr/manage/reports/batch", data={"item": list_items(page), "action": "take"})
    assert response.status_code == 400
    assert all(len(r.events) == 1 for r in reports_by_reference(app).values())


def test_tick_all_without_javascript(app: Flask, users: dict[str, int]) -> None:
    make_reports(app, 3, "21009")
    client = client_as(app, "staff-own")
    page = client.get("/fr/manage/reports?status=new").get_data(as_text=True)
    assert page.count(" checked>") == 0
    page = client.get("/fr/manage/reports?select=all&status=new").get_data(as_text=True)
    assert len(re.findall(r'name="item"[^>]* checked>', page)) == 3


def test_take_one_report_in_one_step(app: Flask, users: dict[str, int]) -> None:
    reference = make_reports(app, 1, "21009")[0]
    client = client_as(app, "staff-own")
    url = f"/fr/manage/reports/{reference}"
    page = client.get(url).get_data(as_text=True)
    assert "Confirmer la réception et me l&#39;attribuer" in page
    response = client.post(url + "/take", data=action_fields(page, "take"))
    assert response.status_code == 303 and response.headers["Location"] == url
    after = reports_by_reference(app)[reference]
    assert after.status == "acknowledged" and after.assigned_to_id == users["staff-own"]
    page = client.get(url).get_data(as_text=True)
    assert "/take" not in page and "/assign_me" not in page  # nothing left to take
    assert "/acknowledge" not in page
    # Taking it again (an old page) is refused, not applied twice.
    response = client.post(url + "/take", data=action_fields(page, "ack") | {
        "take-csrf_token": action_fields(page, "status")["status-csrf_token"],
        "take-version": str(after.version)}, follow_redirects=True)
    assert "Ce signalement vous est déjà attribué." in response.get_data(as_text=True)


def test_assign_to_me_on_an_acknowledged_report(app: Flask, users: dict[str, int]) -> None:
    reference = make_reports(app, 1, "21009")[0]
    coordinator = client_as(app, "coordinator")
    url = f"/fr/manage/reports/{reference}"
    page = coordinator.get(url).get_data(as_text=True)
    coordinator.post(url + "/acknowledge", data=action_fields(page, "ack"))
    client = client_as(app, "staff-own")
    page = client.get(url).get_data(as_text=True)
    assert "/take" not in page
    assert client.post(url + "/assign_me", data=action_fields(page, "me")).status_code == 303
    assert reports_by_reference(app)[reference].assigned_to_id == users["staff-own"]


def test_report_page_keeps_the_filters_and_moves_through_the_list(app: Flask, users: dict[str, int]) -> None:
    oldest, middle, newest = make_reports(app, 3, "21009")
    make_reports(app, 1, "21009", category="burglary")  # not in the filtered list
    client = client_as(app, "staff-own")
    query = "status=new&category=vandalism&sort=oldest"  # the order the portal writes them
    page = client.get(f"/fr/manage/reports?{query}").get_data(as_text=True)
    assert f'href="/fr/manage/reports/{oldest}?{query}"' in page.replace("&amp;", "&")
    page = client.get(f"/fr/manage/reports/{middle}?{query}").get_data(as_text=True).replace("&amp;", "&")
    assert f'href="/fr/manage/reports?{query}" id="back-to-list"' in page
    assert f'href="/fr/manage/reports/{oldest}?{query}" rel="prev"' in page
    assert f'href="/fr/manage/reports/{newest}?{query}" rel="next"' in page
    # An action keeps them too, and the next report is still found once this one left "new".
    response = client.post(f"/fr/manage/reports/{middle}/take?{query}", data=action_fields(page, "take"))
    assert response.headers["Location"] == f"/fr/manage/reports/{middle}?{query}"
    page = client.get(response.headers["Location"]).get_data(as_text=True).replace("&amp;", "&")
    assert f'href="/fr/manage/reports/{newest}?{query}" rel="next"' in page
    page = client.get(f"/fr/manage/reports/{newest}?{query}").get_data(as_text=True)
    assert 'rel="next"' not in page


def test_wide_list_columns(app: Flask, users: dict[str, int]) -> None:
    make_reports(app, 1, "21009", language="nl", description="Graffiti op de schoolmuur")
    page = client_as(app, "staff-own").get("/en/manage/reports").get_data(as_text=True)
    assert "Rue de la Paix 1 1050" in page
    assert '<span class="col-lang" title="Dutch">NL</span>' in page
    assert "Graffiti op de schoolmuur (1)" in page
    assert 'class="col-age"' in page and "Past its target" in page


def test_two_notes_and_an_answer_never_clash(app: Flask, users: dict[str, int]) -> None:
    reference = make_reports(app, 1, "21009")[0]
    first, second = client_as(app, "staff-own"), client_as(app, "coordinator")
    url = f"/fr/manage/reports/{reference}"
    page_first, page_second = first.get(url).get_data(as_text=True), second.get(url).get_data(as_text=True)
    assert first.post(url + "/note", data={**action_fields(page_first, "note"),
                                           "note-text": "Appelé le gardien"}).status_code == 303
    assert second.post(url + "/note", data={**action_fields(page_second, "note"),
                                            "note-text": "Vu sur place"}).status_code == 303
    assert second.post(url + "/answer", data={**action_fields(page_second, "answer"),
                                              "answer-text": "Merci, nous passons."}).status_code == 303
    events = reports_by_reference(app)[reference].events
    assert [(e.kind, e.text) for e in events[1:]] == [
        ("note", "Appelé le gardien"), ("note", "Vu sur place"), ("answer", "Merci, nous passons.")]


def test_a_refused_conflict_brings_the_typed_text_back(app: Flask, users: dict[str, int]) -> None:
    reference = make_reports(app, 1, "21009")[0]
    first, second = client_as(app, "staff-own"), client_as(app, "coordinator")
    url = f"/fr/manage/reports/{reference}"
    page_first, page_second = first.get(url).get_data(as_text=True), second.get(url).get_data(as_text=True)
    assert first.post(url + "/take", data=action_fields(page_first, "take")).status_code == 303
    reason = "Avenue Louise, côté Ville de Bruxelles"
    response = second.post(url + "/transfer", data={**action_fields(page_second, "transfer"),
                                                    "transfer-municipality": "21004", "transfer-reason": reason})
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Un collègue a modifié ce signalement" in body and reason in body
    assert f"/reports/{reference}/take" not in body  # the page shows the report as it is now
    assert reports_by_reference(app)[reference].municipality_nis == "21009"
    # Sent again from the page shown, it goes through.
    version = re.search(r'name="transfer-version" type="hidden" value="(\d+)"', body).group(1)
    response = second.post(url + "/transfer", data={**action_fields(page_second, "transfer"),
                                                    "transfer-version": version,
                                                    "transfer-municipality": "21004", "transfer-reason": reason})
    assert response.status_code == 303
    assert reports_by_reference(app)[reference].municipality_nis == "21004"


def test_a_refused_text_comes_back_at_its_field(app: Flask, users: dict[str, int]) -> None:
    reference = make_reports(app, 1, "21009")[0]
    client = client_as(app, "staff-own")
    url = f"/nl/manage/reports/{reference}"
    page = client.get(url).get_data(as_text=True)
    response = client.post(url + "/note", data={**action_fields(page, "note"), "note-text": "z" * 4001})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "z" * 4001 in body and 'id="note-text-error"' in body


def test_line_breaks_are_kept_as_the_box_showed_them(app: Flask, users: dict[str, int]) -> None:
    """A browser sends a text box's line breaks as CR LF: each is stored as one line feed, and a
    text of 4,000 characters is not refused for the CRs the browser added."""
    reference = make_reports(app, 1, "21009")[0]
    client = client_as(app, "staff-own")
    url = f"/fr/manage/reports/{reference}"
    page = client.get(url).get_data(as_text=True)
    answer = "Madame, Monsieur,\r\n\r\nNous passons jeudi.\rMerci."
    long_note = ("x" * 99 + "\r\n") * 40  # 4,000 characters typed, 4,040 sent
    assert client.post(url + "/answer", data={**action_fields(page, "answer"), "answer-text": answer,
                                              "answer-any_language": "y"}).status_code == 303
    assert client.post(url + "/note", data={**action_fields(page, "note"),
                                            "note-text": long_note}).status_code == 303
    events = reports_by_reference(app)[reference].events
    assert [e.text for e in events[1:]] == ["Madame, Monsieur,\n\nNous passons jeudi.\nMerci.",
                                            long_note.replace("\r\n", "\n").strip()]


def test_keyboard_shortcuts_are_documented_on_the_report_page(app: Flask, users: dict[str, int]) -> None:
    reference = make_reports(app, 1, "21009")[0]
    body = client_as(app, "staff-own").get(f"/nl/manage/reports/{reference}").get_data(as_text=True)
    assert "Sneltoetsen" in body and "<kbd>j</kbd></dt><dd>Volgende melding" in body
    assert "/static/js/staff-report.js" in body


def test_print_view_for_the_police(app: Flask, users: dict[str, int]) -> None:
    reference = make_reports(app, 1, "21009")[0]
    client = client_as(app, "staff-own")
    url = f"/fr/manage/reports/{reference}"
    page = client.get(url).get_data(as_text=True)
    client.post(url + "/note", data={**action_fields(page, "note"), "note-text": "Voisin à rappeler"})
    page = client.get(url).get_data(as_text=True)
    assert client.post(url + "/take", data=action_fields(page, "take")).status_code == 303
    page = client.get(url).get_data(as_text=True)
    client.post(url + "/transfer", data={**action_fields(page, "transfer"), "transfer-municipality": "21004",
                                         "transfer-reason": "Motif interne du transfert"})
    brussels = client_as(app, "staff-other")
    body = brussels.get(url + "/print").get_data(as_text=True)
    assert "Tags sur la façade de l&#39;école (1)" in body and "Rue de la Paix 1 1050" in body
    assert "(5339)" in body  # the police zone, with its number on staff pages
    assert "Pris en compte par la commune" in body  # the public timeline
    assert "Voisin à rappeler" not in body and "Motif interne" not in body  # no internal text
    assert "<form" not in body.split("</header>")[1] and 'id="map"' not in body
    assert client.get(url + "/print").status_code == 404  # Ixelles no longer sees it
    with app.app_context():
        from portal.reports.models import AccessLog
        assert db.session.scalar(select(AccessLog.what).order_by(AccessLog.id.desc())) == "print"


def test_possible_duplicates_are_offered(app: Flask, users: dict[str, int]) -> None:
    first, second = make_reports(app, 2, "21009")
    make_reports(app, 1, "21009", category="burglary")  # another category: not offered
    make_reports(app, 1, "21004")  # another municipality: never shown
    client = client_as(app, "staff-own")
    page = client.get(f"/fr/manage/reports/{second}").get_data(as_text=True)
    section = page.split("Doublons possibles")[1].split("<h2>")[0]
    assert re.findall(r'<a href="/fr/manage/reports/(BX-[0-9A-Z]{4}-[0-9A-Z]{4})"', section) == [first]
    assert set(re.findall(r"BX-[0-9A-Z]{4}-[0-9A-Z]{4}", section)) == {first, second}  # and its own form
    token = re.search(r'name="status-csrf_token" value="([^"]+)"', section).group(1)
    response = client.post(f"/fr/manage/reports/{second}/status", data={
        "status-csrf_token": token,
        "status-version": re.search(r'name="status-version" value="(\d+)"', section).group(1),
        "status-status": "duplicate", "status-duplicate_of": first})
    assert response.status_code == 303
    assert reports_by_reference(app)[second].status == "duplicate"


def test_tap_to_call_and_mail(app: Flask, users: dict[str, int]) -> None:
    from datetime import date

    from portal.reports.services import Draft, submit_report

    with app.app_context():
        reference = submit_report(Draft(category_code="vandalism", description="Tags", occurred_on=date(2026, 11, 2),
                                        postal_code="1050", language="fr", municipality_choice="21009",
                                        email="victime@example.org", phone="0470 12 34 56")).report.reference
        db.session.commit()
    page = client_as(app, "staff-own").get(f"/fr/manage/reports/{reference}").get_data(as_text=True)
    assert f'href="mailto:victime@example.org?subject={reference}"' in page
    assert 'href="tel:0470123456"' in page
