"""Answers in the resident's language: the common-words check, reply templates kept by
coordinators and administrators (access table), inserted without JavaScript in the resident's
language, and the warning before an answer in another language goes out."""
from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.reports.models import ReplyTemplate, Report
from portal.reports.replies import guess_language, looks_like_another_language
from tests.reports.batch_helpers import make_reports
from tests.reports.test_manage import ROLES, client_as
from tests.staff import action_fields, make_user


@pytest.mark.parametrize(("text", "expected"), [
    ("Nous avons transmis les faits aux gardiens de la paix, merci pour votre signalement.", "fr"),
    ("Bedankt voor uw melding. Wij hebben de feiten doorgegeven aan de gemeenschapswachten.", "nl"),
    ("Thank you for your report: we have sent the facts to the Peace Guards.", "en"),
    ("Merci", None),  # too short to say
    ("Rue du Trône 12, 1050", None),
])
def test_guess_language(text: str, expected: str | None) -> None:
    assert guess_language(text) == expected


def test_looks_like_another_language() -> None:
    french = "Nous avons transmis les faits aux gardiens de la paix."
    assert looks_like_another_language(french, "nl") == "fr"
    assert looks_like_another_language(french, "fr") is None


@pytest.fixture
def users(app: Flask) -> dict[str, int]:
    return {role: make_user(app, *spec) for role, spec in ROLES.items() if spec}


TEXTS = {"fr": "Les gardiens de la paix passeront devant l'école cette semaine.",
         "nl": "De gemeenschapswachten komen deze week langs de school.",
         "en": "The Peace Guards will pass by the school this week."}


def template_data(token: str, category: str = "vandalism") -> dict[str, str]:
    return {"csrf_token": token, "category": category,
            **{f"title_{lang}": f"Passage ({lang})" for lang in TEXTS},
            **{f"text_{lang}": text for lang, text in TEXTS.items()}}


def token_of(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def add_template(app: Flask, category: str | None = "vandalism") -> int:
    with app.app_context():
        template = ReplyTemplate(category_code=category, **{f"title_{lang}": f"Passage ({lang})" for lang in TEXTS},
                                 **{f"text_{lang}": text for lang, text in TEXTS.items()})
        db.session.add(template)
        db.session.commit()
        return template.id


GET_EXPECTED = {"anonymous": 302, "staff-own": 403, "staff-other": 403, "coordinator": 200,
                "organiser": 403, "admin": 200}


@pytest.mark.parametrize("role", list(ROLES))
def test_reply_template_pages_for_every_role(app: Flask, users: dict[str, int], role: str) -> None:
    """Staff access table of the template pages: coordinators and administrators only."""
    template_id = add_template(app)
    client = client_as(app, role)
    urls = ["/fr/manage/replies/", "/fr/manage/replies/new", f"/fr/manage/replies/{template_id}"]
    assert [client.get(url).status_code for url in urls] == [GET_EXPECTED[role]] * 3
    page = client.get("/fr/manage/", follow_redirects=True).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    token = found.group(1) if found else ""
    created = client.post("/fr/manage/replies/new", data=template_data(token, "burglary"))
    deleted = client.post(f"/fr/manage/replies/{template_id}/delete", data={"csrf_token": token})
    may = GET_EXPECTED[role] == 200
    expected_post = 303 if may else (400 if role == "anonymous" else 403)
    assert (created.status_code, deleted.status_code) == (expected_post, expected_post)
    with app.app_context():
        categories = sorted(t.category_code for t in db.session.scalars(select(ReplyTemplate)))
    assert categories == (["burglary"] if may else ["vandalism"])


def test_a_coordinator_writes_a_template_in_three_languages(app: Flask, users: dict[str, int]) -> None:
    client = client_as(app, "coordinator")
    page = client.get("/nl/manage/replies/new").get_data(as_text=True)
    data = template_data(token_of(page))
    data["text_en"] = ""
    response = client.post("/nl/manage/replies/new", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "Geef de tekst." in body
    assert TEXTS["nl"] in body  # what was typed comes back
    response = client.post("/nl/manage/replies/new", data=template_data(token_of(body)))
    assert response.status_code == 303
    page = client.get("/nl/manage/replies/").get_data(as_text=True)
    assert "Passage (nl)" in page and "Vandalisme en beschadiging" in page


def test_insert_a_template_in_the_residents_language_without_javascript(app: Flask, users: dict[str, int]) -> None:
    add_template(app)
    add_template(app, "burglary")  # another category's: not offered
    reference = make_reports(app, 1, "21009", language="nl")[0]
    client = client_as(app, "staff-own")
    url = f"/fr/manage/reports/{reference}"
    page = client.get(url).get_data(as_text=True)
    assert "La personne qui a fait le signalement lit le néerlandais" in page
    options = re.findall(r'<option value="(\d+)" data-text', page)
    assert len(options) == 1
    response = client.post(url + "/answer", data={**action_fields(page, "answer"), "template": options[0],
                                                  "insert": "1", "answer-text": "Beste,"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Beste,\n\n{TEXTS['nl']}</textarea>" in body
    with app.app_context():
        assert len(db.session.scalar(select(Report)).events) == 1  # nothing sent yet


def test_an_answer_in_another_language_is_held_back_once(app: Flask, users: dict[str, int]) -> None:
    reference = make_reports(app, 1, "21009", language="nl")[0]
    client = client_as(app, "staff-own")
    url = f"/en/manage/reports/{reference}"
    page = client.get(url).get_data(as_text=True)
    french = "Nous avons transmis les faits aux gardiens de la paix, merci pour votre signalement."
    response = client.post(url + "/answer", data={**action_fields(page, "answer"), "answer-text": french})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This text looks like French, but the resident reads Dutch." in body and french in body
    assert 'name="answer-any_language"' in body
    response = client.post(url + "/answer", data={**action_fields(page, "answer"), "answer-text": french,
                                                  "answer-any_language": "y"})
    assert response.status_code == 303
    dutch = "Bedankt voor uw melding. Wij hebben de feiten doorgegeven aan de gemeenschapswachten."
    assert client.post(url + "/answer", data={**action_fields(page, "answer"),
                                              "answer-text": dutch}).status_code == 303
    with app.app_context():
        assert [e.text for e in db.session.scalar(select(Report)).events[1:]] == [french, dutch]
