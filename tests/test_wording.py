"""What a resident reads, as a careful public service writes it: real plurals, no internal field
names, French typography, municipalities named with their article, European dates."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
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
                "notice de protection", "Goeiedag",
                # the native pass of issue 14 (PHRASES_CHANGED): a vous/u text never assumes a
                # gender, names one thing with one word, and says what Belgians say
                "Vous êtes inscrit", "déjà inscrit à", "être prêt", "Il ne faut plus rien faire",
                "Protection de la vie privée", "privélink", "nooddiensten", "Hij kan de feiten",
                "of gewond", "Het team van Preventieportaal", "Bedankt om", "een klacht bij de politie,"):
        assert old not in texts, old


def test_one_apostrophe_in_french() -> None:
    """The French catalog writes its apostrophes one way (the plain one, as most of it does):
    a page never mixes "l'école" with "l’heure"."""
    assert [msgid for msgid, text in msgstrs("fr") if "’" in text] == []


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


def test_the_first_of_a_month_is_an_ordinal_in_french(app: Flask) -> None:
    """"1er décembre", never "1 décembre"; Dutch and English write the plain number."""
    from portal.i18n import format_date, format_datetime, speaking

    first = datetime(2026, 12, 1, 8, 0, tzinfo=ZoneInfo("UTC"))
    with app.app_context():
        with speaking("fr"):
            assert format_date(first) == "1er décembre 2026"
            assert format_datetime(first, "full") == "mardi 1er décembre 2026 à 09:00"
            assert format_date(first.replace(day=11), "full") == "vendredi 11 décembre 2026"
            assert format_date(first, "d MMM") == "1 déc."  # a chart's short label stays short
        with speaking("nl"):
            assert format_datetime(first, "full") == "dinsdag 1 december 2026 om 09:00"
        with speaking("en"):
            assert format_datetime(first, "full") == "Tuesday 1 December 2026, 09:00"


# -- every e-mail, rendered ------------------------------------------------------------------

#: The e-mails a resident can receive (the others go to staff).
RESIDENT_KINDS = {"report_received", "report_answer", "report_status", "report_moved",
                  "report_tracking_link", "report_tracking_unknown", "course_confirmed",
                  "course_waiting", "course_link", "course_offer", "course_reminder",
                  "course_session_cancelled"}


def test_every_resident_email_template_has_the_closing_and_the_emergency_lines() -> None:
    """A message without the layout has no closing, no signature and no 112/101 lines."""
    for kind in RESIDENT_KINDS:
        text = (EMAIL_TEMPLATES / f"{kind}.txt").read_text()
        assert text.startswith('{% extends "email/_layout.txt" %}'), kind

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


def test_every_resident_email_reads_right_in_each_language(app: Flask, client) -> None:
    """Every kind of message a resident can receive, in the three languages, rendered as the
    worker renders it: the salutation, the closing, who signs (the municipality that handles a
    report, by its sentence form), the emergency lines; one date format; no bracket plural, no
    internal name."""
    from sqlalchemy import select

    from portal.accounts.services import find_user
    from portal.courses import organising, schedule, signup
    from portal.courses.models import CourseSession, Registration
    from portal.extensions import db
    from portal.i18n import format_datetime, speaking
    from portal.reports import services, triage
    from portal.reports.models import Report, Status
    from tests.courses.helpers import make_session, sign_up_direct
    from tests.reports.helpers import post_report
    from tests.staff import make_user

    make_user(app, "coordinator@example.be", "coordinator")
    for lang in LANGS:
        for n in range(4):
            code = "school-racket" if n == 3 else "vandalism"
            assert post_report(client, lang, code, postal_code="1050", municipality="21009",
                               email=f"r{n}-{lang}@example.be",
                               **({"safe_contact": "email"} if n == 3 else {})).status_code == 303
    with app.app_context():
        user = find_user("coordinator@example.be")
        for report in db.session.scalars(select(Report).order_by(Report.id)):
            n = int(report.email[1])
            if n == 0:
                triage.acknowledge(user, report, None)
                triage.answer(user, report, None, "Nos gardiens de la paix passent demain.")
                triage.change_status(user, report, None, Status.RESOLVED)
            elif n == 1:
                triage.change_status(user, report, None, Status.REFERRED)
                triage.change_status(user, report, None, Status.CLOSED)
            elif n == 2:
                triage.transfer(user, report, None, "21004", "Adresse à Bruxelles-Ville")
            services.send_tracking_link(report.reference, report.email, report.language)
            services.send_tracking_link(report.reference, "someone@example.be", report.language)
        db.session.commit()
    full = make_session(app, capacity=1, course_type="basic-first-aid")
    soon = make_session(app, capacity=5, course_type="basic-first-aid", starts_in=timedelta(days=2))
    for lang in LANGS:
        sign_up_direct(app, full, f"c-{lang}@example.be", lang=lang)  # one place, two wait
        sign_up_direct(app, soon, f"soon-{lang}@example.be", lang=lang)
    sign_up_direct(app, full, "c-fr@example.be", lang="fr")  # again: the link is sent anew
    with app.app_context():
        starts = db.session.get(CourseSession, soon).starts_at
        schedule.tick(schedule.reminder_time(starts) + timedelta(minutes=1))  # the reminders
        holder = db.session.scalars(select(Registration).where(
            Registration.session_id == full, Registration.status == "confirmed")).one()
        signup.cancel_registration(holder)  # the place is offered to the first one waiting
        db.session.commit()
        organising.cancel_session(full)
        db.session.commit()
    messages = [m for m in mails(app) if m.kind in RESIDENT_KINDS]
    assert {m.kind for m in messages} == RESIDENT_KINDS
    assert {m.language for m in messages} == set(LANGS)
    closings = {"fr": ("Madame, Monsieur,", "Bien à vous,", "Appelez le 112"),
                "nl": ("Geachte mevrouw, geachte heer,", "Met vriendelijke groeten,", "Bel 112"),
                "en": ("Dear Sir or Madam,", "Kind regards,", "Call 112")}
    signed = {"fr": "Le service de prévention de la commune d'Ixelles",
              "nl": "De preventiedienst van de gemeente Elsene",
              "en": "The prevention service of the municipality of Ixelles"}
    moved_signed = {"fr": "Le service de prévention de la Ville de Bruxelles",
                    "nl": "De preventiedienst van de Stad Brussel",
                    "en": "The prevention service of the City of Brussels"}
    for message in messages:
        text = f"{message.subject}\n{message.body}"
        hello, closing, emergency = closings[message.language]
        assert closing in message.body and emergency in message.body, (message.kind, message.body)
        if message.kind.startswith("report_"):
            assert message.body.startswith(hello), (message.kind, message.body)
        if message.kind in ("report_status", "report_answer", "report_tracking_link", "report_moved"):
            # The municipality that handles the report signs (r2 was sent on to Brussels).
            signer = moved_signed if message.recipient.startswith("r2-") else signed
            assert signer[message.language] in message.body, (message.kind, message.body)
        assert wording_problems(text) == [], (message.kind, wording_problems(text))
        assert " / " not in text
    with app.app_context():
        for message in messages:
            if message.kind != "course_offer":
                continue
            registration = db.session.scalars(select(Registration).where(
                Registration.email == message.recipient, Registration.session_id == full)).one()
            with speaking(message.language):
                moment = format_datetime(registration.offer_expires_at, "full")
            assert moment in message.body  # the same format as every other date: day, then time
    moved = [m for m in messages if m.kind == "report_moved"]
    assert {m.language for m in moved} == set(LANGS)
    assert any("la Ville de Bruxelles" in m.body for m in moved if m.language == "fr")
    received = {m.language: m.body for m in messages
                if m.kind == "report_received" and m.recipient.startswith("r3-")}
    assert "dans un délai d'un jour ouvrable" in received["fr"]
    assert "binnen één werkdag" in received["nl"]
