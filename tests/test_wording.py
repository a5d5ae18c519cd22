"""What a resident reads, as a careful public service writes it: real plurals, no internal field
names, French typography, municipalities named with their article, European dates."""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from flask import Flask

from tests.outbox import mails

ROOT = Path(__file__).resolve().parents[1]
LANGS = ["fr", "nl", "en"]
#: A plural written with brackets instead of ngettext: "place(s)", "werkdag(en)", "prévenu(e)".
BRACKET_PLURAL = re.compile(r"\w\((?:s|en|e|es|n|nen|x)\)", re.IGNORECASE)
#: Names only the code knows: WTForms' label of an unlabelled field ("Shown At"), field names.
INTERNAL_NAMES = re.compile(r"Shown At|shown_at|csrf_token|Csrf Token|submission_key|kept_photos"
                            r"|Submission Key|Kept Photos|\bWebsite\b")
NBSP = "\u00a0"


def catalog(lang: str) -> Catalog:
    with open(ROOT / "portal" / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=lang)


def msgstrs(lang: str) -> list[tuple[str, str]]:
    found = []
    for message in catalog(lang):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        found.extend((msgid, text) for text in strings)
    return found


def wording_problems(text: str) -> list[str]:
    """What must never reach a reader, in any language."""
    return [*BRACKET_PLURAL.findall(text), *INTERNAL_NAMES.findall(text)]


@pytest.mark.parametrize("lang", LANGS)
def test_no_bracket_plural_nor_internal_name_in_any_catalog(lang: str) -> None:
    problems = [(msgid, text) for msgid, text in msgstrs(lang) if wording_problems(text)]
    assert problems == []


def test_the_scan_finds_what_it_looks_for() -> None:
    for bad in ("1 place(s) libre(s)", "nog 1 plaats(en) vrij", "1 werkdag(en)", "prévenu(e)",
                "Shown At: C'était très rapide", "csrf_token"):
        assert wording_problems(bad), bad
    for good in ("(police)", "Awel (in Dutch)", "Photos (optional)", "(%(count)s dates)",
                 "Écoute-Enfants (en français)", "Rue du Trône 12 (2e étage)"):
        assert not wording_problems(good), good


def french_typography_problems(text: str) -> list[str]:
    """A French « : ; ! ? » takes a no-break space before it (and « » inside them), so that the
    mark never wraps onto a line of its own. URLs and times ("17:30", "https:") are left alone."""
    plain = re.sub(r"https?://\S+|<[^>]+>", "", text)
    problems = re.findall(r".{0,12}(?<!\u00a0)[:;!?](?=\s|$)", plain)
    problems += re.findall(r"«(?!\u00a0).{0,12}|.{0,12}(?<!\u00a0)»", plain)
    problems += re.findall(r".{0,12}(?:\u00a0\s|\s\u00a0).{0,3}", plain)  # one space, not two
    return problems


def test_french_punctuation_takes_a_no_break_space() -> None:
    problems = [(msgid, french_typography_problems(text)) for msgid, text in msgstrs("fr")
                if french_typography_problems(text)]
    assert problems == []


def test_the_typography_check_finds_a_plain_space() -> None:
    assert french_typography_problems("Votre code : 1234")
    assert french_typography_problems("la formation « BEPS »")
    assert french_typography_problems(f"prenez-les en photo{NBSP}{NBSP}: ensemble")
    assert not french_typography_problems(f"Votre code{NBSP}: 1234, à 17:30, sur https://x.be")
    assert not french_typography_problems(f"la formation «{NBSP}BEPS{NBSP}»")


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_no_bureaucratic_nor_old_wording(lang: str) -> None:
    """Samples of the native pass that must not come back."""
    texts = " ".join(text for _msgid, text in msgstrs(lang))
    for old in ("Gelieve", "Brussels preventieportaal", "Signaler une incivilité", "Overlast melden",
                "notice de protection", "Goeiedag"):
        assert old not in texts


# -- municipalities in sentences ------------------------------------------------------------

SENTENCE_FORMS = {
    # nis: (fr, nl, en) as a sentence names it
    "21009": ("la commune d'Ixelles", "de gemeente Elsene", "the municipality of Ixelles"),
    "21004": ("la Ville de Bruxelles", "de Stad Brussel", "the City of Brussels"),
    "21016": ("la commune d'Uccle", "de gemeente Ukkel", "the municipality of Uccle"),
    "21012": ("la commune de Molenbeek-Saint-Jean", "de gemeente Sint-Jans-Molenbeek",
              "the municipality of Molenbeek-Saint-Jean"),
    "21001": ("la commune d'Anderlecht", "de gemeente Anderlecht", "the municipality of Anderlecht"),
}


def test_every_municipality_row_has_its_sentence_forms(app: Flask) -> None:
    from portal.territory.services import in_municipality, the_municipality

    with app.app_context():
        for nis, forms in SENTENCE_FORMS.items():
            assert tuple(the_municipality(nis, lang) for lang in LANGS) == forms
        assert tuple(in_municipality("21009", lang) for lang in LANGS) == (
            "à Ixelles", "in Elsene", "in Ixelles")
        for nis in (f"210{n:02d}" for n in range(1, 20)):
            for lang in LANGS:
                form = the_municipality(nis, lang)
                # Never a name glued after "de" that needs elision, never the bilingual pair.
                assert " / " not in form and not re.search(r"\bde [AEIOUY]", form), form
                assert "City of Brussels" not in form or lang == "en"


@pytest.mark.parametrize(("lang", "nis", "sentence"), [
    ("fr", "21009", "Il est traité par la commune d'Ixelles."),
    ("nl", "21009", "Ze wordt behandeld door de gemeente Elsene."),
    ("en", "21009", "It is handled by the municipality of Ixelles."),
    ("fr", "21004", "Il est traité par la Ville de Bruxelles."),
    ("nl", "21004", "Ze wordt behandeld door de Stad Brussel."),
    ("en", "21004", "It is handled by the City of Brussels."),
])
def test_the_confirmation_and_its_email_name_the_municipality_in_a_sentence(
        app: Flask, client, lang: str, nis: str, sentence: str) -> None:

    from tests.reports.helpers import post_report

    postal_code = {"21009": "1050", "21004": "1000"}[nis]
    extra = {"municipality": nis} if postal_code == "1050" else {}
    response = post_report(client, lang, postal_code=postal_code, email="jan@example.be", **extra)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert sentence.replace("'", "&#39;") in page
    zone = {("fr", "21009"): "Bruxelles-Capitale Ixelles", ("nl", "21009"): "Brussel-Hoofdstad Elsene",
            ("en", "21009"): "Brussels-Capital Ixelles"}.get((lang, nis), "")
    assert zone in page and "5339" not in page  # the zone residents know, without its number
    bodies = [m.body for m in mails(app)]
    [received] = [body for body in bodies if "jan@example.be" not in body and sentence[-20:] in body]
    assert " / " not in received
    assert wording_problems(received) == []


# -- dates -----------------------------------------------------------------------------------

MOMENT = datetime(2026, 12, 12, 8, 0, tzinfo=ZoneInfo("UTC"))  # 09:00 in Brussels


@pytest.mark.parametrize(("lang", "full", "default", "time"), [
    ("en", "Saturday 12 December 2026, 09:00", "12 December 2026, 09:00", "09:00"),
    ("fr", "samedi 12 décembre 2026 à 09:00", "12 décembre 2026 à 09:00", "09:00"),
    ("nl", "zaterdag 12 december 2026 om 09:00", "12 december 2026 om 09:00", "09:00"),
])
def test_dates_are_written_as_each_language_writes_them(app: Flask, lang: str, full: str,
                                                        default: str, time: str) -> None:
    from portal.i18n import format_datetime, format_time, speaking

    with app.app_context(), speaking(lang):
        assert format_datetime(MOMENT, "full") == full
        # "short", "medium" and the default are one format: a page shows one kind of date.
        assert format_datetime(MOMENT) == format_datetime(MOMENT, "short") == default
        assert format_time(MOMENT.replace(hour=18, minute=3)) == "19:03"
        assert format_time(MOMENT) == time


# -- every e-mail, rendered ------------------------------------------------------------------

EMAIL_TEMPLATES = ROOT / "portal" / "templates" / "email"


def test_no_bracket_plural_in_the_text_of_any_email_template() -> None:
    """The words an e-mail template writes itself, outside the catalog."""
    problems = {}
    for path in EMAIL_TEMPLATES.glob("*.txt"):
        text = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", path.read_text(), flags=re.DOTALL)
        if wording_problems(text):
            problems[path.name] = wording_problems(text)
    assert problems == {}


def test_every_email_of_the_report_and_course_flows_reads_right(app: Flask, client) -> None:
    """Reports, the lost-code link, staff notices, course confirmations, the waiting list and a
    cancelled session, in the three languages: no bracket plural, no internal name, no bilingual
    municipality pair, and a salutation and a closing in each."""

    from portal.courses import organising
    from portal.extensions import db
    from tests.courses.helpers import make_session, sign_up_direct
    from tests.reports.helpers import post_report

    for lang in LANGS:
        assert post_report(client, lang, postal_code="1050", municipality="21009",
                           email=f"{lang}@example.be").status_code == 303
    session_id = make_session(app, capacity=1)
    for lang in LANGS:
        sign_up_direct(app, session_id, f"course-{lang}@example.be", lang=lang)  # one place, two wait
    with app.app_context():
        organising.cancel_session(session_id)
        db.session.commit()
    messages = mails(app)
    # Per language: the report received, the place or the waiting list, the cancellation.
    assert sorted(m.language for m in messages) == sorted(LANGS * 3)
    closings = {"fr": "Bien à vous,", "nl": "Met vriendelijke groeten,", "en": "Kind regards,"}
    for message in messages:
        text = f"{message.subject}\n{message.body}"
        assert wording_problems(text) == [], (message.subject, wording_problems(text))
        assert " / " not in text and "Ixelles / Elsene" not in text
        assert closings[message.language] in message.body, message.subject
