"""The right next step: the rules table per category and answer, and where residents read it."""
from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask, render_template
from flask.testing import FlaskClient

from portal import geo
from portal.i18n import speaking
from portal.reports.next_step import RULES, Advice, Step, advice_for, online_url
from portal.reports.reference import CATEGORIES
from tests.conftest import Database, portal_on
from tests.outbox import mails
from tests.reports.helpers import file_and_confirm, post_report

URL = "https://www.police.be/{lang}/police-on-web"
IXELLES, ETTERBEEK, ANDERLECHT = "21009", "21005", "21001"


@pytest.mark.parametrize(("category", "details", "step", "reason"), [
    ("school-racket", {}, Step.COMPLAINT, "racket"),
    ("burglary", {}, Step.COMPLAINT, "burglary"),
    # Vehicles
    ("vehicle-theft", {"theft_kind": "of", "vehicle_kind": "car"}, Step.COMPLAINT, "vehicle"),
    ("vehicle-theft", {"theft_kind": "of", "vehicle_kind": "van"}, Step.COMPLAINT, "vehicle"),
    ("vehicle-theft", {"theft_kind": "of", "vehicle_kind": "motorbike"}, Step.COMPLAINT, "vehicle"),
    ("vehicle-theft", {}, Step.COMPLAINT, "vehicle"),
    ("vehicle-theft", {"theft_kind": "from", "vehicle_kind": "car"}, Step.COMPLAINT, "break_in"),
    ("vehicle-theft", {"theft_kind": "from", "vehicle_kind": "bicycle"}, Step.COMPLAINT, "break_in"),
    ("vehicle-theft", {"theft_kind": "of", "vehicle_kind": "bicycle"}, Step.ONLINE, "bicycle"),
    ("vehicle-theft", {"vehicle_kind": "bicycle", "violence": "no"}, Step.ONLINE, "bicycle"),
    ("vehicle-theft", {"theft_kind": "of", "vehicle_kind": "bicycle", "violence": "yes"},
     Step.COMPLAINT, "violence"),
    ("vehicle-theft", {"theft_kind": "from", "violence": "yes"}, Step.COMPLAINT, "violence"),
    # Public transport
    ("transport-pickpocketing", {}, Step.COMPLAINT, "documents"),
    ("transport-pickpocketing", {"violence": "no", "line_type": "tram"}, Step.COMPLAINT, "documents"),
    ("transport-pickpocketing", {"violence": "yes"}, Step.COMPLAINT, "violence"),
    # Vandalism
    ("vandalism", {}, Step.ONLINE, "damage"),
    ("vandalism", {"author_known": "no", "violence": "no"}, Step.ONLINE, "damage"),
    ("vandalism", {"author_known": "yes"}, Step.COMPLAINT, "author_known"),
    ("vandalism", {"author_known": "no", "violence": "yes"}, Step.COMPLAINT, "violence"),
    # Other thefts
    ("other-theft", {"stolen": "bicycle"}, Step.ONLINE, "bicycle"),
    ("other-theft", {"stolen": "bicycle", "violence": "yes"}, Step.COMPLAINT, "violence"),
    ("other-theft", {"stolen": "phone"}, Step.COMPLAINT, "documents"),
    ("other-theft", {"stolen": "bag", "violence": "no"}, Step.COMPLAINT, "documents"),
    ("other-theft", {}, Step.COMPLAINT, "documents"),
])
def test_each_category_and_answer_gets_its_step(category: str, details: dict[str, str], step: str,
                                                 reason: str) -> None:
    advice = advice_for(category, details, IXELLES, "fr", URL)
    assert advice is not None
    assert (advice.step, advice.reason) == (step, reason)
    assert advice.police_zone.code == "5339"


def test_no_advice_where_the_report_is_enough() -> None:
    assert advice_for("other-nuisance", {}, IXELLES, "fr", URL) is None
    assert advice_for("no-such-category", {"violence": "yes"}, IXELLES, "fr", URL) is None


def test_every_shipped_category_but_other_nuisance_has_a_rule() -> None:
    shipped = {category["code"] for category in CATEGORIES}
    assert {rule.category for rule in RULES} == shipped - {"other-nuisance"}


def test_the_zone_is_the_one_of_the_municipality_and_the_link_the_page_language() -> None:
    advice = advice_for("burglary", {}, ETTERBEEK, "nl", URL)
    assert advice is not None and advice.police_zone.name("nl") == "Montgomery"
    advice = advice_for("burglary", {}, ANDERLECHT, "nl", URL)
    assert advice is not None and advice.police_zone.name("nl") == "Zuid"
    assert online_url("nl", URL) == "https://www.police.be/nl/police-on-web"
    assert online_url("en", URL) == "https://www.police.be/fr/police-on-web"
    advice = advice_for("vehicle-theft", {"police_declaration": "yes"}, IXELLES, "en", URL)
    assert advice is not None and advice.declared


@pytest.mark.parametrize(("lang", "title", "zone"), [
    ("fr", "Prochaine étape\u00a0: une plainte à la police", "Bruxelles-Capitale Ixelles"),
    ("nl", "Volgende stap: een klacht bij de politie", "Brussel-Hoofdstad Elsene"),
    ("en", "Next step: a complaint to the police", "Brussels-Capital Ixelles"),
])
def test_a_stolen_car_sends_to_the_zone_on_the_confirmation_and_tracking_page(
        client: FlaskClient, lang: str, title: str, zone: str) -> None:
    filed = file_and_confirm(client, lang, "vehicle-theft", theft_kind="of", vehicle_kind="car",
                             police_declaration="no", postal_code="1050", municipality="21009")
    assert title in filed.page and zone in filed.page and 'href="tel:101"' in filed.page
    assert "police-on-web" not in filed.page
    tracking = client.get(filed.link, follow_redirects=True).get_data(as_text=True)
    assert title in tracking and zone in tracking
    assert f'action="/{lang}/track/report/{filed.reference}/police-report"' in tracking


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_a_stolen_bicycle_links_to_the_online_service(app: Flask, client: FlaskClient, lang: str) -> None:
    filed = file_and_confirm(client, lang, "vehicle-theft", theft_kind="of", vehicle_kind="bicycle",
                             police_declaration="not_yet")
    expected = "https://www.police.be/{}/police-on-web".format("nl" if lang == "nl" else "fr")
    assert f'href="{expected}"' in filed.page


def test_the_online_address_is_a_setting(tmp_path: Path, geo_cache: Path, database: Database) -> None:
    with portal_on(database, tmp_path, geo_cache,
                   POLICE_ON_WEB_URL="https://declaration.example/{lang}/start") as app:
        client = app.test_client()
        filed = file_and_confirm(client, "nl", "vandalism")
        assert 'href="https://declaration.example/nl/start"' in filed.page


def test_a_declaration_already_made_is_not_asked_again(client: FlaskClient) -> None:
    filed = file_and_confirm(client, "en", "vehicle-theft", theft_kind="of", vehicle_kind="car",
                             police_declaration="yes")
    assert "You said you have already made a declaration to the police" in filed.page
    assert "This report is not a police complaint." not in filed.page


def test_nothing_for_other_nuisance(client: FlaskClient) -> None:
    filed = file_and_confirm(client, "fr", "other-nuisance")
    assert "next-step" not in filed.page


# The words of each rule, as residents read them ------------------------------------------------

#: Where each language sends a complaint, and says that 101 is for danger only.
STATION = {"fr": "commissariat de la zone de police", "nl": "politiekantoor van de politiezone",
           "en": "police station of the police zone"}
DANGER = {"fr": "en danger", "nl": "in gevaar", "en": "in danger"}


def _advice_html(web_app: Flask, lang: str, rule_step: str, reason: str) -> str:
    advice = Advice(rule_step, reason, geo.police_zone("5341"), declared=False,
                    online_url=online_url(lang, URL))
    report = SimpleNamespace(category=SimpleNamespace(questions=""))
    with web_app.test_request_context(f"/{lang}/"), speaking(lang):
        return render_template("reports/_next_step.html", report=report, advice=advice,
                               on_tracking_page=False)


def _paragraphs(html: str) -> list[str]:
    return [" ".join(re.sub(r"<[^>]+>", "", p).split()) for p in re.findall(r"<p>(.*?)</p>", html, re.DOTALL)]


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_each_reason_has_its_own_words_and_101_is_only_for_danger(web_app: Flask, lang: str) -> None:
    """Every (step, reason) of the table gets its own explanation (none falls through to another
    reason's words), a complaint goes to a station of the zone, and 101 is named once: for danger."""
    explanations: dict[tuple[str, str], str] = {}
    for step, reason in dict.fromkeys((rule.step, rule.reason) for rule in RULES):
        html = _advice_html(web_app, lang, step, reason)
        paragraphs = _paragraphs(html)
        explanations[(step, reason)] = paragraphs[0]
        assert html.count('href="tel:101"') == 1
        [about_101] = [p for p in paragraphs if "101" in p]
        assert DANGER[lang] in about_101 and STATION[lang] not in about_101, about_101
        zone = geo.police_zone("5341").name(lang)
        assert any(STATION[lang] in p and zone in p for p in paragraphs), paragraphs
        if step == Step.ONLINE:
            assert online_url(lang, URL) in html
    assert len(set(explanations.values())) == len(explanations), explanations


def test_the_explanations_are_translated(web_app: Flask) -> None:
    step, reason = RULES[0].step, RULES[0].reason
    words = {lang: _paragraphs(_advice_html(web_app, lang, step, reason))[0] for lang in ("fr", "nl", "en")}
    assert len(set(words.values())) == 3, words


def test_the_outside_page_links_to_the_configured_online_service(
        tmp_path: Path, geo_cache: Path, database: Database) -> None:
    with portal_on(database, tmp_path, geo_cache,
                   POLICE_ON_WEB_URL="https://declaration.example/{lang}/start") as app:
        page = post_report(app.test_client(), "nl", postal_code="1930").get_data(as_text=True)
        assert "buiten het Brussels" in page
        assert 'href="https://declaration.example/nl/start"' in page


@pytest.mark.parametrize(("declaration", "told"), [("not_yet", True), ("yes", False)])
def test_the_received_email_of_a_vehicle_theft_sends_to_the_next_step_not_to_101(
        app: Flask, client: FlaskClient, declaration: str, told: bool) -> None:
    filed = file_and_confirm(client, "fr", "vehicle-theft", theft_kind="of", vehicle_kind="car",
                             police_declaration=declaration, email="resident@example.org")
    [mail] = [m for m in mails(app, "resident@example.org") if m.kind == "report_received"]
    message, _separator, footer = mail.body.partition("\n-- \n")
    assert filed.reference in message
    assert ("un vol de véhicule doit aussi être déclaré à la police" in message) is told
    assert "101" not in message and "101" in footer
