"""Routing as a pure function: (theme, actor, region, confidence) and the rules -> a body or the triage queue.

No database here: the rules arrive as plain values, so the decision can be tested and explained on
its own. Rules are tried in priority order (then by id); the first whose theme matches and whose actor
and region, when the rule names them, match too, wins.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rule:
    """One routing rule as codes. `actor`/`region` None means "any"."""

    priority: int
    theme: str
    body: str
    actor: str | None = None
    region: str | None = None
    id: int | None = None
    active: bool = True

    def describe(self) -> str:
        conditions = [f"theme {self.theme}"]
        if self.actor:
            conditions.append(f"actor {self.actor}")
        if self.region:
            conditions.append(f"region {self.region}")
        return f"priority {self.priority}: {' + '.join(conditions)} -> {self.body}"


@dataclass(frozen=True)
class Reading:
    """What is known about a case when it is routed (codes), and how sure the classifier was of the theme."""

    theme: str | None
    actor: str | None = None
    region: str | None = None
    confidence: float | None = None


@dataclass(frozen=True)
class RouteDecision:
    body: str | None  # None: the triage queue
    rule: Rule | None
    reason: str

    @property
    def to_triage(self) -> bool:
        return self.body is None


def match_rule(rules: Iterable[Rule], theme: str | None, actor: str | None = None,
               region: str | None = None) -> Rule | None:
    """The first active rule, by priority, that fits the theme, actor and region; None if none fits."""
    if not theme:
        return None
    for rule in sorted(rules, key=lambda r: (r.priority, r.id if r.id is not None else 0)):
        if not rule.active or rule.theme != theme:
            continue
        if rule.actor is not None and rule.actor != actor:
            continue
        if rule.region is not None and rule.region != region:
            continue
        return rule
    return None


def decide_route(reading: Reading, rules: Iterable[Rule], threshold: float | None) -> RouteDecision:
    """Where a case goes. Below the confidence threshold, or when no rule fits, it goes to triage.

    A reading without a confidence (a theme set by staff) is trusted and only the rules decide.
    """
    if reading.theme is None:
        return RouteDecision(None, None, "the theme is not known")
    if reading.confidence is not None and threshold is not None and reading.confidence < threshold:
        return RouteDecision(
            None, None, f"theme confidence {reading.confidence:.2f} is below the threshold {threshold:.2f}")
    rule = match_rule(rules, reading.theme, reading.actor, reading.region)
    if rule is None:
        return RouteDecision(None, None, "no routing rule fits this theme, actor and region")
    return RouteDecision(rule.body, rule, f"rule {rule.describe()}")


def explain(decision: RouteDecision, reading: Reading, threshold: float | None, model_version: str | None,
            scores: dict[str, float] | None = None, **extra: Any) -> dict[str, Any]:
    """The routing explanation kept on the case: what was read, which rule fired, why."""
    explanation: dict[str, Any] = {
        "decision": "triage" if decision.to_triage else "routed",
        "body": decision.body,
        "reason": decision.reason,
        "rule": decision.rule.describe() if decision.rule else None,
        "rule_id": decision.rule.id if decision.rule else None,
        "theme": reading.theme,
        "confidence": round(reading.confidence, 4) if reading.confidence is not None else None,
        "threshold": threshold,
        "actor": reading.actor,
        "region": reading.region,
        "model_version": model_version,
    }
    if scores is not None:
        explanation["scores"] = {label: round(float(score), 4) for label, score in
                                 sorted(scores.items(), key=lambda item: -item[1])}
    explanation.update(extra)
    return explanation
