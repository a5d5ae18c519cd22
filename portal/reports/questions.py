"""The questions a category asks besides the common ones: one registry that every part reads.

The web form builds its fields from it, ``services.validate`` checks the answers with it, the
staff page and the reporter's export show them with it, and Open311 describes them in its
service definitions and accepts them as ``attribute[<name>]``. Adding a question to a category
touches this file and the catalogs only.

A category names its set of questions in ``Category.questions`` ("school", "transport",
"vehicle", or "" for none).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from portal.i18n import _, _l

#: The answer to a free-text question is at most this long, unless the question says otherwise.
MAX_ANSWER = 200


class Kind:
    TEXT = "text"
    #: One of ``choices``: radio buttons on the form, a single-value list in Open311.
    CHOICE = "choice"


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

    def choice_label(self, value: str) -> str:
        """The label of a stored choice in the current language (the value itself if unknown)."""
        return next((str(label) for key, label in self.choices if key == value), value)

    def display(self, value: str) -> str:
        """How staff and the reporter read a stored answer."""
        return self.choice_label(value) if self.kind == Kind.CHOICE else value


@dataclass(frozen=True)
class QuestionSet:
    """The questions of a kind of category, in the order the form asks them."""

    name: str
    questions: tuple[Question, ...] = ()
    #: The form starts with the children's helplines (racket near schools).
    child_helplines: bool = False
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


def normalise_plate(text: str) -> str:
    """A Belgian plate in its written form ("1abc 234" -> "1-ABC-234"); any other plate (from
    abroad, a dealer's, a diplomat's) is kept as typed, in capitals."""
    typed = " ".join(text.split()).upper()
    compact = re.sub(r"[\s.\-]", "", typed)
    for pattern, shape in _BELGIAN_PLATES:
        match = pattern.fullmatch(compact)
        if match:
            return shape.format(*match.groups())
    return typed


_YES_NO_NOT_YET = (("yes", _l("Yes")), ("no", _l("No")), ("not_yet", _l("Not yet")))

SETS: dict[str, QuestionSet] = {s.name: s for s in (
    QuestionSet("", ()),
    QuestionSet("school", (
        Question("school", _l("Name of the school")),
    ), child_helplines=True, sensitive=True),
    QuestionSet("transport", (
        Question("line", _l("Line (tram, bus or metro)")),
        Question("stop", _l("Stop or station")),
    )),
    QuestionSet("vehicle", (
        Question("make", _l("Make and model of the car")),
        Question("colour", _l("Colour")),
        Question("plate", _l("Licence plate (optional)"), max_length=20, normalise=normalise_plate,
                 hint=_l("For example 1-ABC-234. A foreign plate as it is written."),
                 input_attributes={"autocapitalize": "characters", "spellcheck": "false"}),
        Question("police_declaration", _l("Have you made a declaration to the police?"),
                 kind=Kind.CHOICE, choices=_YES_NO_NOT_YET),
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


def check_answers(set_name: str | None, answers: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The answers to keep (trimmed, normalised, empty ones left out) and the errors by name."""
    kept: dict[str, str] = {}
    errors: dict[str, str] = {}
    for question in questions_of(set_name):
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
        kept[question.name] = question.normalise(value) if question.normalise else value
    return kept, errors


def answers_for_display(set_name: str | None, details: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The stored answers as (question, answer) pairs in the current language."""
    return [(str(question.label), question.display(str(details[question.name])))
            for question in questions_of(set_name) if details.get(question.name)]
