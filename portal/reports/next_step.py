"""The right next step after a report: one table from category and answers to advice.

A report on the portal is never a police complaint. Some facts need one (an insurer asks for it
after a vehicle theft or a burglary; threats, violence and racket are offences the police must
hear); others the federal police accepts online, through Police-on-web (a bicycle theft, damage
or graffiti, without violence and by an unknown author). ``advice_for`` reads the first rule of
``RULES`` that fits the report; the confirmation and the tracking page show it.

Pure: no Flask, no database. The words are in ``templates/reports/_next_step.html``, chosen by
``Advice.reason``.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from portal import geo


class Step:
    #: A formal complaint at the police zone is needed.
    COMPLAINT = "complaint"
    #: The facts can be declared online (Police-on-web).
    ONLINE = "online"


#: The languages of Police-on-web (the federal police's online declaration service; its address
#: is the setting PORTAL_POLICE_ON_WEB_URL, "{lang}" in it becomes one of these). The portal
#: links to it and never loads it. English pages get the French address.
POLICE_ON_WEB_LANGUAGES = ("fr", "nl")

#: Anyone in danger, now: the police's emergency number (DESIGN.md, "Emergencies").
POLICE_EMERGENCY = "101"

#: An answer that was not given: an optional question left empty.
NOT_GIVEN = ""


@dataclass(frozen=True)
class Rule:
    """The advice for a category whose answers match ``when`` (name -> accepted values)."""

    category: str
    step: str
    #: Which sentence explains why (see the template): "vehicle", "burglary", "violence"…
    reason: str
    when: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def matches(self, category: str, details: Mapping[str, Any]) -> bool:
        return category == self.category and all(
            str(details.get(name) or NOT_GIVEN) in values for name, values in self.when.items())


def _any(*values: str) -> frozenset[str]:
    return frozenset(values)


#: "Without violence": answered no, or not answered (the online advice then says that violence
#: means a complaint instead).
_NO_VIOLENCE = {"violence": _any("no", NOT_GIVEN)}
_VIOLENCE = {"violence": _any("yes")}

#: First match wins; a category with no matching rule gets no advice.
RULES: tuple[Rule, ...] = (
    Rule("school-racket", Step.COMPLAINT, "racket"),
    Rule("burglary", Step.COMPLAINT, "burglary"),
    # Vehicles: violence first, then a stolen bicycle (online), then any stolen vehicle (the
    # insurer wants a complaint), then a theft from a vehicle (a break-in: complaint as well).
    Rule("vehicle-theft", Step.COMPLAINT, "violence", _VIOLENCE),
    Rule("vehicle-theft", Step.ONLINE, "bicycle",
         {"vehicle_kind": _any("bicycle"), "theft_kind": _any("of", NOT_GIVEN), **_NO_VIOLENCE}),
    Rule("vehicle-theft", Step.COMPLAINT, "vehicle", {"theft_kind": _any("of", NOT_GIVEN)}),
    Rule("vehicle-theft", Step.COMPLAINT, "break_in", {"theft_kind": _any("from")}),
    Rule("transport-pickpocketing", Step.COMPLAINT, "violence", _VIOLENCE),
    Rule("transport-pickpocketing", Step.COMPLAINT, "documents"),
    Rule("vandalism", Step.COMPLAINT, "violence", _VIOLENCE),
    Rule("vandalism", Step.COMPLAINT, "author_known", {"author_known": _any("yes")}),
    Rule("vandalism", Step.ONLINE, "damage"),
    Rule("other-theft", Step.COMPLAINT, "violence", _VIOLENCE),
    Rule("other-theft", Step.ONLINE, "bicycle", {"stolen": _any("bicycle")}),
    Rule("other-theft", Step.COMPLAINT, "documents"),
)


@dataclass(frozen=True)
class Advice:
    step: str
    reason: str
    #: The zone of the report's municipality (the one to go to for a complaint).
    police_zone: geo.PoliceZone
    #: The resident already said they made a declaration (vehicle question).
    declared: bool
    online_url: str

    @property
    def is_complaint(self) -> bool:
        return self.step == Step.COMPLAINT


def rule_for(category: str, details: Mapping[str, Any]) -> Rule | None:
    return next((rule for rule in RULES if rule.matches(category, details)), None)


def online_url(lang: str, template: str) -> str:
    return template.replace("{lang}", lang if lang in POLICE_ON_WEB_LANGUAGES else "fr")


def advice_for(category: str, details: Mapping[str, Any], municipality_nis: str, lang: str,
               url_template: str) -> Advice | None:
    """The next step for a report, or None when the report itself is enough."""
    rule = rule_for(category, details)
    if rule is None:
        return None
    zone = geo.police_zone(geo.municipality(municipality_nis).police_zone)
    return Advice(rule.step, rule.reason, zone,
                  declared=details.get("police_declaration") == "yes",
                  online_url=online_url(lang, url_template))
