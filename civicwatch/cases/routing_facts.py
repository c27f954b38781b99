"""The routing explanation stored on a case (routing/rules.py `explain`), in words for the case page: labels in the
page's language, names instead of codes, percentages, yes or no. A key this does not know is shown as stored."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import format_percent, gettext

from civicwatch.i18n import KNOWN_LANGUAGES, N_
from civicwatch.taxonomy.models import Actor, Body, District, Region, Theme
from civicwatch.taxonomy.queries import by_code
from civicwatch.templating import humanise_code

LABELS = {
    "decision": N_("Decision"), "body": N_("Body"), "reason": N_("Reason"), "rule": N_("Rule"),
    "theme": N_("Theme"), "confidence": N_("Confidence"), "threshold": N_("Confidence needed to route"),
    "actor": N_("Who is complained about"), "actor_source": N_("Who: found how"), "region": N_("Region"),
    "district": N_("District"), "place_source": N_("Place: found how"), "language": N_("Language"),
    "model_version": N_("Model"), "urgency_score": N_("Urgency score"), "urgent": N_("Urgent"),
    "scores": N_("Theme scores"),
}
DECISIONS = {"routed": N_("Sent to a body by the routing rules"), "triage": N_("Left for triage to decide")}
SOURCES = {"text": N_("read in the complaint"), "complainant": N_("chosen by the complainant")}
# Shown with another key: the rule's number with the rule, a reason that only repeats the rule.
_FOLDED = {"rule_id"}


def routing_facts(explanation: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(label, value) pairs, in the order of LABELS, then any other key."""
    if not explanation:
        return []
    keys = [key for key in LABELS if key in explanation] + sorted(
        key for key in explanation if key not in LABELS and key not in _FOLDED)
    facts = []
    for key in keys:
        if key == "reason" and explanation.get("rule") and _same_rule(explanation["reason"], explanation["rule"]):
            continue
        label = gettext(LABELS[key]) if key in LABELS else humanise_code(key)
        facts.append((label, _value(key, explanation[key], explanation)))
    return facts


def _same_rule(reason: object, rule: object) -> bool:
    return isinstance(reason, str) and isinstance(rule, str) and reason.endswith(rule)


def _name(model: type) -> Callable[[Any], str]:
    def name(code: Any) -> str:
        row = by_code(model, code) if isinstance(code, str) else None
        return str(row.local_name) if row is not None else str(code)
    return name


def _percent(value: Any) -> str:
    return format_percent(value, "#,##0.0%") if isinstance(value, int | float) else str(value)


def _rule(value: Any, explanation: dict[str, Any]) -> str:
    number = explanation.get("rule_id")
    return gettext("rule %(number)s, %(rule)s", number=number, rule=value) if number is not None else str(value)


def _scores(value: Any) -> str:
    if not isinstance(value, dict):
        return str(value)
    name = _name(Theme)
    return ", ".join(f"{name(code)} {_percent(score)}" for code, score in value.items())


_VALUES: dict[str, Callable[[Any], str]] = {
    "decision": lambda value: gettext(DECISIONS[value]) if value in DECISIONS else str(value),
    "body": _name(Body), "theme": _name(Theme), "actor": _name(Actor), "region": _name(Region),
    "district": _name(District),
    "actor_source": lambda value: gettext(SOURCES[value]) if value in SOURCES else str(value),
    "place_source": lambda value: gettext(SOURCES[value]) if value in SOURCES else str(value),
    "language": lambda value: KNOWN_LANGUAGES[value].name if value in KNOWN_LANGUAGES else str(value),
    "confidence": _percent, "threshold": _percent, "urgency_score": _percent,
    "urgent": lambda value: gettext("Yes") if value else gettext("No"),
    "scores": _scores,
}


def _value(key: str, value: Any, explanation: dict[str, Any]) -> str:
    if value is None:
        return gettext("No body yet") if key == "body" else gettext("Not known")
    if key == "rule":
        return _rule(value, explanation)
    return _VALUES[key](value) if key in _VALUES else str(value)
