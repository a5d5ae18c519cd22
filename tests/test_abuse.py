"""Robots: the honeypot and the minimum time to fill refuse them, people get through."""
from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.reports.models import Report
from tests.reports.helpers import open_form, report_data


def hidden_value(html: str, name: str) -> str:
    return re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html).group(1)


def test_honeypot_refuses_and_keeps_what_was_typed(app: Flask, client) -> None:
    html, fields = open_form(client, "fr", "vandalism")
    response = client.post("/fr/report/new/vandalism", data={
        **fields, "shown_at": hidden_value(html, "shown_at"), "website": "http://spam.example",
        **report_data(description="Un vrai texte")})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Le formulaire n&#39;a pas pu être envoyé" in page and "Un vrai texte" in page
    with app.app_context():
        assert db.session.scalars(select(Report)).all() == []


def test_too_fast_is_refused_then_accepted(app: Flask, client, monkeypatch) -> None:
    import portal.abuse as abuse

    app.config["FORM_MIN_SECONDS"] = 3
    html, fields = open_form(client, "nl", "vandalism")
    data = {**fields, "shown_at": hidden_value(html, "shown_at"), **report_data()}
    fast = client.post("/nl/report/new/vandalism", data=data)
    assert fast.status_code == 422 and "U hebt dit formulier heel snel ingevuld" in fast.get_data(as_text=True)
    real_time = abuse.time.time
    monkeypatch.setattr(abuse.time, "time", lambda: real_time() + 60)
    assert client.post("/nl/report/new/vandalism", data=data).status_code == 303


def test_too_fast_does_not_hide_the_other_mistakes(app: Flask, client) -> None:
    """Sent too fast with an empty description (the form's own check), a bad e-mail address and a
    date to come (the portal's rules, which used to wait for a second sending): all show
    at once, each at its field and in the summary under the field's own label, and the robot
    check is a sentence of its own, never an internal field name."""
    app.config["FORM_MIN_SECONDS"] = 3
    html, fields = open_form(client, "fr", "vandalism")
    data = {**fields, "shown_at": hidden_value(html, "shown_at"),
            **report_data(description="", email="pas-une-adresse", occurred_on="2099-01-01")}
    response = client.post("/fr/report/new/vandalism", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    summary = page[page.index('id="error-summary"'):page.index("</div>", page.index('id="error-summary"'))]
    items = re.findall(r"<li>(.*?)</li>", summary, re.DOTALL)
    assert len(items) == 4, items
    assert "Vous avez rempli ce formulaire très vite" in items[0] and "<a" not in items[0]
    # Each message under its field's own label, as the field shows it (its question mark kept),
    # never glued to it by a colon.
    assert any('<span class="error-field">Que s&#39;est-il passé\u00a0?</span> Décrivez ce qui s&#39;est passé.'
               in item for item in items)
    assert any('<span class="error-field">Adresse e-mail (facultatif)</span> Indiquez une adresse e-mail valable'
               in item for item in items)
    assert any('<span class="error-field">Date</span> La date ne peut pas être dans le futur.' in item
               for item in items)
    assert not any(re.search(r"\u00a0: [A-Z]", item) for item in items)
    for internal in ("Shown At", "shown_at:", "Website", "csrf_token"):
        assert internal not in summary
    # At the fields too, and what was typed comes back.
    assert 'id="description-error"' in page and 'id="email-error"' in page
    assert 'value="pas-une-adresse"' in page


def test_forged_time_stamp_is_refused(app: Flask, client) -> None:
    app.config["FORM_MIN_SECONDS"] = 3
    html, fields = open_form(client, "en", "vandalism")
    response = client.post("/en/report/new/vandalism", data={**fields, "shown_at": "0", **report_data()})
    assert response.status_code == 422


def test_a_stamp_older_than_the_limit_is_refused_then_a_new_one_works(app: Flask, client,
                                                                      monkeypatch) -> None:
    """A stamp could be fetched once and sent with every submission for ever."""
    import portal.abuse as abuse

    # The CSRF token's own limit (4 h) is left out: this is about the stamp alone.
    app.config.update(FORM_MIN_SECONDS=3, FORM_MAX_HOURS=6, WTF_CSRF_TIME_LIMIT=None)
    html, fields = open_form(client, "fr", "vandalism")
    data = {**fields, "shown_at": hidden_value(html, "shown_at"),
            **report_data(description="Tag sur le mur de l'école")}
    real_time = abuse.time.time
    monkeypatch.setattr(abuse.time, "time", lambda: real_time() + 6 * 3600 + 60)
    late = client.post("/fr/report/new/vandalism", data=data)
    page = late.get_data(as_text=True)
    assert late.status_code == 422
    assert "Ce formulaire est resté ouvert longtemps" in page
    assert "Tag sur le mur de l&#39;école" in page  # what was typed comes back
    fresh = hidden_value(page, "shown_at")
    assert fresh and fresh != data["shown_at"]
    with app.app_context():
        assert db.session.scalars(select(Report)).all() == []
    # The same form sent again a little later (the new stamp) goes through.
    monkeypatch.setattr(abuse.time, "time", lambda: real_time() + 6 * 3600 + 120)
    assert client.post("/fr/report/new/vandalism", data={**data, "shown_at": fresh}).status_code == 303


def test_a_stamp_within_the_limit_is_accepted(app: Flask, client, monkeypatch) -> None:
    import portal.abuse as abuse

    app.config.update(FORM_MIN_SECONDS=3, FORM_MAX_HOURS=6, WTF_CSRF_TIME_LIMIT=None)
    html, fields = open_form(client, "en", "vandalism")
    real_time = abuse.time.time
    monkeypatch.setattr(abuse.time, "time", lambda: real_time() + 5 * 3600)
    response = client.post("/en/report/new/vandalism", data={
        **fields, "shown_at": hidden_value(html, "shown_at"), **report_data()})
    assert response.status_code == 303


def test_a_stamp_is_signed_for_its_own_form(app: Flask, client, monkeypatch) -> None:
    """The tracking form's stamp, valid there, is refused on the report form like a forged one."""
    import portal.abuse as abuse

    app.config["FORM_MIN_SECONDS"] = 3
    tracking = client.get("/fr/track/").get_data(as_text=True)
    html, fields = open_form(client, "fr", "vandalism")
    real_time = abuse.time.time
    monkeypatch.setattr(abuse.time, "time", lambda: real_time() + 60)
    borrowed = client.post("/fr/report/new/vandalism", data={
        **fields, "shown_at": hidden_value(tracking, "shown_at"), **report_data()})
    assert borrowed.status_code == 422
    assert "Le formulaire n&#39;a pas pu être envoyé" in borrowed.get_data(as_text=True)
    own = client.post("/fr/report/new/vandalism", data={
        **fields, "shown_at": hidden_value(html, "shown_at"), **report_data()})
    assert own.status_code == 303
