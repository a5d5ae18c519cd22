"""Answers and status e-mails in the resident's language, in the browser (1280 px and 390 px,
French and Dutch staff): a Dutch resident's report answered by French-speaking staff gets the
Dutch reply template, the Dutch answer e-mail and a Dutch e-mail for each status change
(acknowledged, resolved, closed, referred to the police, duplicate), and the other way round; the
report page's keyboard shortcuts work and never fire while staff type in a text box."""
from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, PHONE, LiveServer
from tests.browser.staff_pages import log_in, make_account
from tests.browser.test_staff_batch import states
from tests.outbox import mails
from tests.reports.batch_helpers import make_reports

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-staff")]
#: One municipality per run, so that "possible duplicates" offers exactly the run's other report.
RUNS = {("fr", "390"): "21011", ("fr", "1280"): "21014", ("nl", "390"): "21017", ("nl", "1280"): "21018"}
#: The staff member's language -> the resident's (always the other one).
RESIDENT = {"fr": "nl", "nl": "fr"}
TEMPLATE = {
    "fr": "Nous avons transmis votre signalement aux gardiens de la paix, qui passeront dans votre rue cette semaine.",
    "nl": "Wij hebben uw melding doorgegeven aan de gemeenschapswachten, die deze week door uw straat komen.",
    "en": "We have passed your report to the Peace Guards, who will come by your street this week.",
}
#: Typed by staff before inserting the template: it holds the letters of the shortcuts.
GREETING = {"fr": "Madame, Monsieur, je vous remercie pour votre signalement.",
            "nl": "Beste, u krijgt hier ons antwoord op uw melding."}
#: Typed after the template: staff edit before sending.
EDIT = {"fr": " Merci pour votre patience.", "nl": " Bedankt voor uw geduld."}
#: The resident's language as the staff page names it, in the staff member's language.
READS = {"fr": "lit le néerlandais", "nl": "leest Frans"}
READS_NAME = {"fr": "néerlandais", "nl": "Frans"}
DONE = {"fr": "C'est fait.", "nl": "Gedaan."}
ACKNOWLEDGED = {"fr": "Pris en compte par la commune", "nl": "Ontvangst bevestigd door de gemeente"}
#: What the resident's e-mails say, in the resident's language.
HELLO = {"fr": "Madame, Monsieur,", "nl": "Geachte mevrouw, geachte heer,"}
SUBJECTS = {
    "fr": {"answer": "Réponse concernant votre signalement {ref}",
           "acknowledged": "Votre signalement {ref} a été lu",
           "resolved": "Votre signalement {ref} est résolu",
           "closed": "Votre signalement {ref} est clôturé",
           "referred": "Votre signalement {ref} a été transmis à la police",
           "duplicate": "Votre signalement {ref} est suivi avec un autre signalement"},
    "nl": {"answer": "Antwoord over uw melding {ref}",
           "acknowledged": "Uw melding {ref} is gelezen",
           "resolved": "Uw melding {ref} is opgelost",
           "closed": "Uw melding {ref} is afgesloten",
           "referred": "Uw melding {ref} is doorgegeven aan de politie",
           "duplicate": "Uw melding {ref} wordt samen met een andere melding opgevolgd"},
}
#: What each status e-mail says happened, in the resident's language.
SAYS = {
    "fr": {"acknowledged": "a lu votre signalement {ref} et va le traiter",
           "resolved": "a résolu votre signalement {ref}.",
           "closed": "a clôturé votre signalement {ref} sans suite",
           "referred": "a transmis votre signalement {ref} à la police",
           "duplicate": "dans un autre signalement. Votre signalement {ref} est clôturé"},
    "nl": {"acknowledged": "heeft uw melding {ref} gelezen",
           "resolved": "heeft uw melding {ref} opgelost",
           "closed": "heeft uw melding {ref} zonder verder gevolg afgesloten",
           "referred": "heeft uw melding {ref} doorgegeven aan de politie",
           "duplicate": "in een andere melding. Uw melding {ref} is afgesloten"},
}


def add_template(live_server: LiveServer) -> int:
    """A burglary reply template in the three languages; returns its id."""
    from portal.extensions import db
    from portal.reports.models import ReplyTemplate

    with live_server.app.app_context():
        template = ReplyTemplate(category_code="burglary",
                                 **{f"title_{lang}": f"Gardiens de la paix ({lang})" for lang in TEMPLATE},
                                 **{f"text_{lang}": text for lang, text in TEMPLATE.items()})
        db.session.add(template)
        db.session.commit()
        template_id = int(template.id)
        db.session.remove()
    return template_id


def active_id(page: Any) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_template_answer_and_each_status_email_in_the_residents_language(
        context_factory: Any, live_server: LiveServer, lang: str, viewport: dict[str, int]) -> None:
    phone = viewport == PHONE
    resident_lang = RESIDENT[lang]
    nis = RUNS[(lang, str(viewport["width"]))]
    resident = f"resident-{uuid.uuid4().hex[:8]}@example.org"
    template_id = add_template(live_server)
    other = make_reports(live_server.app, 1, nis, category="burglary", language=resident_lang,
                         email=f"neighbour-{uuid.uuid4().hex[:8]}@example.org")[0]
    reference = make_reports(live_server.app, 1, nis, category="burglary", language=resident_lang,
                             email=resident)[0]
    email, user_id = make_account(live_server, "staff", (nis,), lang, "Sam Peeters")
    page = context_factory(lang, viewport=viewport, mobile=phone).new_page()
    act = page.tap if phone else page.click
    log_in(page, lang, email, tap=phone)
    url = f"/{lang}/manage/reports/{reference}"
    page.goto(url)
    assert READS[lang] in page.text_content(".reader-language")  # inside the closed answer box

    # "r" opens the answer box; in the box, the letters of the shortcuts are only text.
    page.keyboard.press("r")
    assert active_id(page) == "answer-text"
    page.keyboard.type(GREETING[resident_lang])
    page.keyboard.type("jkuanr")
    assert page.input_value("#answer-text") == GREETING[resident_lang] + "jkuanr"
    for _ in "jkuanr":
        page.keyboard.press("Backspace")
    assert page.url.endswith(url) and active_id(page) == "answer-text"
    assert states(live_server, [reference]) == {("new", None)}  # "a" did not take it

    # The template goes in, in the resident's language, after what was typed; staff edit it.
    page.select_option("#answer-template", str(template_id))
    # Titled in the staff member's language; its text goes in in the resident's.
    assert page.inner_text("#answer-template option:checked") == f"Gardiens de la paix ({lang})"
    act('.insert-template button[name="insert"]')
    inserted = f"{GREETING[resident_lang]}\n\n{TEMPLATE[resident_lang]}"
    assert page.input_value("#answer-text") == inserted
    assert active_id(page) == "answer-text" and page.url.endswith(url)  # in place, no page load
    page.keyboard.type(EDIT[resident_lang])
    answer = inserted + EDIT[resident_lang]
    with page.expect_navigation(wait_until="load"):
        act('form[action*="/answer"] > button[type=submit]')
    assert DONE[lang] in page.inner_text(".flashes")
    assert TEMPLATE[resident_lang] in page.inner_text(".timeline")

    # "a" (focus outside the fields) acknowledges and assigns to me.
    with page.expect_navigation(wait_until="load"):
        page.keyboard.press("a")
    assert DONE[lang] in page.inner_text(".flashes")
    assert ACKNOWLEDGED[lang] in page.inner_text(".facts")
    assert states(live_server, [reference]) == {("acknowledged", user_id)}

    # Each final status in turn, then "duplicate" from the possible duplicates offered.
    status_form = page.locator("details", has=page.locator('input[name="status-status"][type=radio]'))
    for status in ("resolved", "closed", "referred"):
        status_form.locator("summary").click() if not phone else status_form.locator("summary").tap()
        page.check(f'input[name="status-status"][value="{status}"]')
        with page.expect_navigation(wait_until="load"):
            act('form[action*="/status"]:has(input[type=radio]) > button[type=submit]')
        assert DONE[lang] in page.inner_text(".flashes")
        assert states(live_server, [reference]) == {(status, user_id)}
    offered = page.locator(".report-item", has_text=other)
    assert offered.count() == 1
    with page.expect_navigation(wait_until="load"):
        (offered.locator("button").tap if phone else offered.locator("button").click)()
    assert states(live_server, [reference]) == {("duplicate", user_id)}

    # The page lists what the resident was told, in the resident's language.
    told = page.locator("#told + ol.told > li")
    assert told.count() == 7  # received, the answer, five status changes
    assert all(text.endswith(f"· {READS_NAME[lang]}") for text in told.locator(".when").all_inner_texts())
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    sent = mails(live_server.app, resident)
    assert [(m.kind, m.language) for m in sent] == (
        [("report_received", resident_lang), ("report_answer", resident_lang)]
        + [("report_status", resident_lang)] * 5)
    subjects = SUBJECTS[resident_lang]
    answer_mail = sent[1]
    assert answer_mail.subject == subjects["answer"].format(ref=reference)
    assert answer_mail.body.startswith(HELLO[resident_lang]) and answer in answer_mail.body
    for status, mail in zip(("acknowledged", "resolved", "closed", "referred", "duplicate"), sent[2:],
                            strict=True):
        assert mail.subject == subjects[status].format(ref=reference)
        assert mail.body.startswith(HELLO[resident_lang])
        assert SAYS[resident_lang][status].format(ref=reference) in mail.body
        assert other not in mail.body  # a duplicate names nothing of the other report
