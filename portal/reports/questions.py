"""The questions a category asks besides the common ones: one registry that every part reads.

The web form builds its fields from it, ``services.validate`` checks the answers with it, the
staff page and the reporter's export show them with it, and Open311 describes them in its
service definitions and accepts them as ``attribute[<name>]``. Adding a question to a category
touches this file and the catalogs only.

A category names its set of questions in ``Category.questions`` ("school", "transport",
"vehicle", "damage", "theft", or "" for none). A question of the "when" section is asked beside
the date (the time window of public transport); a set may add checks that look at several
answers and the date together (``QuestionSet.checks``).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from portal.i18n import _, _l
from portal.times import BRUSSELS

#: The answer to a free-text question is at most this long, unless the question says otherwise.
MAX_ANSWER = 200


class Kind:
    TEXT = "text"
    #: One of ``choices``: radio buttons on the form, a single-value list in Open311.
    CHOICE = "choice"
    #: A time of day, stored as "HH:MM" (Brussels time, on the date of the facts).
    TIME = "time"


class Section:
    #: "A few more details", after the place.
    DETAILS = "details"
    #: Beside the date of the facts (a time window replaces the single time).
    WHEN = "when"

#: A phone's clock may be a little ahead of ours.
CLOCK_SKEW = timedelta(minutes=10)


@dataclass(frozen=True)
class Question:
    """One question: how it is asked, checked, stored and shown."""

    #: Key in ``Report.details``, name of the form field and Open311 attribute code.
    name: str
    label: Any
    kind: str = Kind.TEXT
    #: (stored value, label) pairs for a CHOICE.
    choices: tuple[tuple[str, Any], ...] = ()
    hint: Any = None
    max_length: int = MAX_ANSWER
    required: bool = False
    #: Turns what was typed into the stored form (e.g. a licence plate "1abc234" -> "1-ABC-234").
    normalise: Callable[[str], str] | None = None
    #: The HTML ``autocomplete``/``inputmode`` hints of a text input.
    input_attributes: Mapping[str, str] = field(default_factory=dict)
    section: str = Section.DETAILS
    #: The question's name where it stands alone (staff page, export, Open311), when the form's
    #: label needs the form around it ("Between" … "and").
    title: Any = None

    def heading(self) -> str:
        """The label that reads well without the form around it."""
        return str(self.title or self.label)

    def choice_label(self, value: str) -> str:
        """The label of a stored choice in the current language (the value itself if unknown)."""
        return next((str(label) for key, label in self.choices if key == value), value)

    def display(self, value: str) -> str:
        """How staff and the reporter read a stored answer."""
        return self.choice_label(value) if self.kind == Kind.CHOICE else value


@dataclass(frozen=True)
class Facts:
    """What a set's checks may look at besides the answers: the date of the facts and now."""

    occurred_on: date | None
    now: datetime


#: A check of several answers together: (kept answers, facts) -> errors by question name.
Check = Callable[[Mapping[str, str], Facts], dict[str, str]]


@dataclass(frozen=True)
class QuestionSet:
    """The questions of a kind of category, in the order the form asks them."""

    name: str
    questions: tuple[Question, ...] = ()
    #: The form starts with the children's helplines (racket near schools).
    child_helplines: bool = False
    checks: tuple[Check, ...] = ()

    def in_section(self, section: str) -> tuple[Question, ...]:
        return tuple(question for question in self.questions if question.section == section)

    @property
    def asks_time_window(self) -> bool:
        """The form asks "between … and …" instead of one approximate time."""
        return any(question.kind == Kind.TIME for question in self.questions)
    #: Reports that can put their reporter at risk (racket, threats): the form asks how it is
    #: safe to contact them and offers a quick exit.
    sensitive: bool = False


_BELGIAN_PLATES = (
    # Since 2010: a digit, three letters, three digits ("1-ABC-234").
    (re.compile(r"([1-9])([A-Z]{3})([0-9]{3})"), "{0}-{1}-{2}"),
    # Before: three letters and three digits, or the other way round ("ABC-123", "123-ABC").
    (re.compile(r"([A-Z]{3})([0-9]{3})"), "{0}-{1}"),
    (re.compile(r"([0-9]{3})([A-Z]{3})"), "{0}-{1}"),
)


#: What people type between the parts of a plate: spaces, dots, dashes (a phone's "–" too).
_PLATE_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015\u2212]")


def normalise_plate(text: str) -> str:
    """A Belgian plate in its written form ("1abc 234" -> "1-ABC-234"); any other plate (from
    abroad, a dealer's, a diplomat's) is kept as typed, in capitals."""
    typed = " ".join(text.split()).upper()
    compact = _PLATE_SEPARATORS.sub("", typed)
    for pattern, shape in _BELGIAN_PLATES:
        match = pattern.fullmatch(compact)
        if match:
            return shape.format(*match.groups())
    return typed


def parse_time(text: str) -> time | None:
    """"17:30" (or "17:30:00", as some phones send it) -> a time; None if it is no time."""
    try:
        return datetime.strptime(text[:5], "%H:%M").time() if len(text) in (5, 8) else None
    except ValueError:
        return None


def time_window(start: str, end: str) -> Check:
    """Both times in the past (on the date of the facts) and the end not before the start."""

    def check(answers: Mapping[str, str], facts: Facts) -> dict[str, str]:
        errors: dict[str, str] = {}
        times = {name: parse_time(answers[name]) for name in (start, end) if name in answers}
        if facts.occurred_on is not None:
            for name, value in times.items():
                if value is not None and datetime.combine(
                        facts.occurred_on, value, BRUSSELS) > facts.now + CLOCK_SKEW:
                    errors[name] = _("The time cannot be in the future.")
        began, ended = times.get(start), times.get(end)
        if end not in errors and began is not None and ended is not None and ended < began:
            errors[end] = _("The end of the period cannot be before its start. "
                            "If it went past midnight, give the day it began and 23:59.")
        return errors

    return check


_YES_NO = (("yes", _l("Yes")), ("no", _l("No")))
_YES_NO_NOT_YET = (*_YES_NO, ("not_yet", _l("Not yet")))

#: Asked wherever it decides the next step: violence makes a police complaint necessary.
_VIOLENCE = Question("violence", _l("Were you or someone else threatened, pushed or hurt?"),
                     kind=Kind.CHOICE, choices=_YES_NO)

SETS: dict[str, QuestionSet] = {s.name: s for s in (
    QuestionSet("", ()),
    QuestionSet("school", (
        Question("school", _l("Name of the school")),
    ), child_helplines=True, sensitive=True),
    QuestionSet("transport", (
        Question("time_from", _l("Between"), kind=Kind.TIME, section=Section.WHEN, max_length=8,
                 title=_l("Time window: from")),
        Question("time_to", _l("and"), kind=Kind.TIME, section=Section.WHEN, max_length=8,
                 title=_l("Time window: until")),
        Question("line_type", _l("Type of line"), kind=Kind.CHOICE, choices=(
            ("metro", _l("Metro")), ("premetro", _l("Premetro")), ("tram", _l("Tram")),
            ("bus", _l("Bus")), ("train", _l("Train")),
            ("other", _l("Another operator (De Lijn, TEC…)")))),
        Question("line", _l("Line number"), hint=_l("For example 71 or 2."),
                 input_attributes={"spellcheck": "false"}),
        Question("stop", _l("Stop or station"), hint=_l("Where you got on, got off, or noticed the theft.")),
        _VIOLENCE,
    ), checks=(time_window("time_from", "time_to"),)),
    QuestionSet("vehicle", (
        Question("theft_kind", _l("What was stolen?"), kind=Kind.CHOICE, choices=(
            ("of", _l("The vehicle itself")),
            ("from", _l("Something from the vehicle (broken window, contents, parts)")))),
        Question("vehicle_kind", _l("Kind of vehicle"), kind=Kind.CHOICE, choices=(
            ("car", _l("Car")), ("van", _l("Van")), ("motorbike", _l("Motorbike or scooter")),
            ("bicycle", _l("Bicycle or e-scooter")))),
        Question("make", _l("Make and model")),
        Question("colour", _l("Colour")),
        Question("plate", _l("Licence plate (optional)"), max_length=20, normalise=normalise_plate,
                 hint=_l("For example 1-ABC-234. A foreign plate as it is written."),
                 input_attributes={"autocapitalize": "characters", "spellcheck": "false"}),
        Question("police_declaration", _l("Have you made a declaration to the police?"),
                 kind=Kind.CHOICE, choices=_YES_NO_NOT_YET),
        _VIOLENCE,
    )),
    QuestionSet("damage", (
        Question("author_known", _l("Do you know who did it?"), kind=Kind.CHOICE, choices=_YES_NO),
        _VIOLENCE,
    )),
    QuestionSet("theft", (
        Question("stolen", _l("What was stolen?"), kind=Kind.CHOICE, choices=(
            ("bicycle", _l("A bicycle or an e-scooter")), ("phone", _l("A phone")),
            ("bag", _l("A bag or a wallet")), ("other", _l("Something else")))),
        _VIOLENCE,
    )),
)}


def question_set(name: str | None) -> QuestionSet:
    """The set a category names (an unknown name asks nothing more)."""
    return SETS.get(name or "", SETS[""])


def questions_of(set_name: str | None) -> tuple[Question, ...]:
    return question_set(set_name).questions


def all_questions() -> tuple[Question, ...]:
    """Every question of every set, each once (the form has a field for each)."""
    seen: dict[str, Question] = {}
    for questions in SETS.values():
        for question in questions.questions:
            seen.setdefault(question.name, question)
    return tuple(seen.values())


def check_answers(set_name: str | None, answers: Mapping[str, str],
                  facts: Facts | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """The answers to keep (trimmed, normalised, empty ones left out) and the errors by name.

    ``facts`` (the date of the facts, now) lets the set's own checks run; without it only each
    answer alone is checked.
    """
    kept: dict[str, str] = {}
    errors: dict[str, str] = {}
    asked = question_set(set_name)
    for question in asked.questions:
        value = " ".join(str(answers.get(question.name) or "").split())
        if not value:
            if question.required:
                errors[question.name] = _("Answer this question.")
            continue
        if len(value) > question.max_length:
            errors[question.name] = _("Use at most %(max)s characters.", max=question.max_length)
            continue
        if question.kind == Kind.CHOICE and value not in {key for key, _label in question.choices}:
            errors[question.name] = _("Choose one of the answers.")
            continue
        if question.kind == Kind.TIME:
            moment = parse_time(value)
            if moment is None:
                errors[question.name] = _("Give a time such as 17:30.")
                continue
            value = moment.strftime("%H:%M")
        kept[question.name] = question.normalise(value) if question.normalise else value
    if facts is not None:
        for check in asked.checks:
            for name, message in check(kept, facts).items():
                errors.setdefault(name, message)
    return kept, errors


def answers_for_display(set_name: str | None, details: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The stored answers as (question, answer) pairs in the current language."""
    return [(question.heading(), question.display(str(details[question.name])))
            for question in questions_of(set_name) if details.get(question.name)]
