"""Answers in the resident's language: reply templates per category (kept by coordinators and
administrators) and a light check that the text typed is in the language the resident reads.

The check counts very common words of each language; no outside service, no model. It only
warns (staff may send anyway): a short answer or a street name can fool it.
"""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import or_, select

from portal.accounts.models import Role, StaffUser
from portal.config import LANGUAGES
from portal.extensions import db
from portal.reports.models import ReplyTemplate, Report


class NotManager(Exception):
    """Only coordinators and administrators keep the reply templates."""


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Words frequent in one language and rare in the two others (articles, pronouns, auxiliaries).
COMMON_WORDS = {
    "fr": _words("le la les des du un une est sont nous vous votre vos avec pour dans sur pas "
                    "que qui ce cette être avons avez été merci bonjour madame monsieur au aux "
                    "mais ou où il elle ils sera par"),
    "nl": _words("de het een en van is zijn wij we u uw met voor in op niet dat die deze "
                    "hebben heeft wordt worden bedankt dank goedendag mevrouw meneer naar ook "
                    "maar er zal door bij"),
    "en": _words("the a an and of is are we you your with for in on not that this these have "
                    "has been will thank thanks hello madam sir to also but there by our"),
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def guess_language(text: str) -> str | None:
    """The language whose common words the text uses most, if clearly so; else None."""
    words = [word.lower() for word in _WORD.findall(text or "")]
    scores = {lang: sum(word in COMMON_WORDS[lang] for word in words) for lang in LANGUAGES
              if lang in COMMON_WORDS}
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    if not ranked or ranked[0][1] < 3:
        return None  # too short to say
    best, score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    return best if score >= 2 * runner_up else None


def looks_like_another_language(text: str, expected: str) -> str | None:
    """The language the text seems to be in, when it is not ``expected``."""
    guessed = guess_language(text)
    return guessed if guessed is not None and guessed != expected else None


# Templates -----------------------------------------------------------------------------------

def require_manager(user: StaffUser) -> None:
    if getattr(user, "role", None) not in (Role.COORDINATOR, Role.ADMIN):
        raise NotManager


def for_report(report: Report) -> list[ReplyTemplate]:
    """The templates offered for a report: its category's, then those for every category."""
    return list(db.session.scalars(select(ReplyTemplate).where(
        or_(ReplyTemplate.category_code == report.category_code, ReplyTemplate.category_code.is_(None)))
        .order_by(ReplyTemplate.category_code.is_(None), ReplyTemplate.id)))


def text_for(template_id: int, report: Report) -> str | None:
    """The text of a template offered for ``report``, in the resident's language."""
    found = next((t for t in for_report(report) if t.id == template_id), None)
    return getattr(found, f"text_{report.language}") if found is not None else None


def all_templates(user: StaffUser) -> list[ReplyTemplate]:
    require_manager(user)
    return list(db.session.scalars(select(ReplyTemplate).order_by(
        ReplyTemplate.category_code.is_(None), ReplyTemplate.category_code, ReplyTemplate.id)))


def get(user: StaffUser, template_id: int) -> ReplyTemplate | None:
    require_manager(user)
    return db.session.get(ReplyTemplate, template_id)


def save(user: StaffUser, template: ReplyTemplate | None, values: dict[str, Any]) -> ReplyTemplate:
    """Create or change a template: its category (or none) and its title and text per language."""
    require_manager(user)
    editable = {"category_code"} | {f"{name}_{lang}" for name in ("title", "text") for lang in LANGUAGES}
    unknown = set(values) - editable
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if template is None:
        template = ReplyTemplate()
        db.session.add(template)
    for name, value in values.items():
        setattr(template, name, value.strip() if isinstance(value, str) else value)
    template.category_code = template.category_code or None
    db.session.flush()
    return template


def delete(user: StaffUser, template_id: int) -> bool:
    require_manager(user)
    found = db.session.get(ReplyTemplate, template_id)
    if found is None:
        return False
    db.session.delete(found)
    db.session.flush()
    return True
