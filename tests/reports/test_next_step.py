"""The right next step: the rules table per category and answer, and where residents read it."""
from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.reports.next_step import RULES, Step, advice_for, online_url
from portal.reports.reference import CATEGORIES
from tests.conftest import Database, portal_on
from tests.reports.helpers import file_and_confirm

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
