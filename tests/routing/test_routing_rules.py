"""The pure routing decision, table-driven over the default taxonomy's rules."""
from __future__ import annotations

import pytest

from civicwatch.routing.rules import Reading, Rule, decide_route, explain, match_rule
from civicwatch.taxonomy.operations import read_taxonomy


def default_rules() -> list[Rule]:
    """The default taxonomy's rules as codes, expanded like load_routing_rules expands them."""
    data = read_taxonomy()
    regions = [r["code"] for r in data["regions"]]
    rules, priority = [], 0
    for spec in data["routing_rules"]:
        for region in (regions if spec.get("region") == "*" else [spec.get("region")]):
            priority += 10
            rules.append(Rule(priority=priority, theme=spec["theme"], body=spec["body"].format(region=region),
                              actor=spec.get("actor"), region=region, id=priority))
    return rules


RULES = default_rules()


@pytest.mark.parametrize(
    ("theme", "actor", "region", "body"),
    [
        ("abuse_of_force", None, None, "human_rights_commission"),
        ("abuse_of_force", "military", "eastern", "human_rights_commission"),
        ("unlawful_detention", "police", None, "justice_inspectorate"),
        ("corruption", "border", "southern", "anti_corruption_commission"),
        ("misuse_of_resources", "military", None, "auditor_general"),
        ("surveillance_privacy", "intelligence", None, "intelligence_committee"),
        ("personnel_welfare", "corrections", None, "defence_committee"),
        ("misconduct", "military", None, "defence_committee"),
        ("misconduct", "intelligence", "northern", "intelligence_committee"),
        ("misconduct", "corrections", None, "justice_inspectorate"),
        ("misconduct", "police", None, "police_oversight"),
        ("misconduct", "border", None, "police_oversight"),
        ("misconduct", None, None, "police_oversight"),
        ("service_failure", "police", "eastern", "community_eastern"),
        ("service_failure", None, "western_area", "community_western_area"),
        ("service_failure", "police", None, "police_oversight"),
    ],
)
def test_default_rules(theme: str, actor: str | None, region: str | None, body: str) -> None:
    assert match_rule(RULES, theme, actor, region).body == body


def test_no_theme_or_unknown_theme_matches_nothing() -> None:
    assert match_rule(RULES, None) is None
    assert match_rule(RULES, "littering") is None


def test_priority_decides_not_list_order() -> None:
    general = Rule(priority=20, theme="misconduct", body="police_oversight", id=1)
    specific = Rule(priority=10, theme="misconduct", body="defence_committee", actor="military", id=2)
    assert match_rule([general, specific], "misconduct", "military").body == "defence_committee"
    assert match_rule([general, specific], "misconduct", "police").body == "police_oversight"
    same_priority = Rule(priority=20, theme="misconduct", body="other", id=0)
    assert match_rule([general, same_priority], "misconduct").body == "other"  # then by id


def test_inactive_rules_are_skipped() -> None:
    off = Rule(priority=1, theme="corruption", body="police_oversight", active=False)
    assert match_rule([off, *RULES], "corruption").body == "anti_corruption_commission"


@pytest.mark.parametrize(
    ("confidence", "threshold", "body"),
    [(0.9, 0.5, "anti_corruption_commission"), (0.5, 0.5, "anti_corruption_commission"), (0.49, 0.5, None),
     (0.1, 0.0, "anti_corruption_commission"), (None, 0.99, "anti_corruption_commission"),
     (0.2, None, "anti_corruption_commission")],
)
def test_threshold(confidence: float | None, threshold: float | None, body: str | None) -> None:
    decision = decide_route(Reading("corruption", confidence=confidence), RULES, threshold)
    assert decision.body == body
    if body is None:
        assert decision.to_triage and "below the threshold" in decision.reason


def test_no_rule_or_no_theme_goes_to_triage() -> None:
    assert decide_route(Reading("littering", confidence=0.99), RULES, 0.5).reason.startswith("no routing rule")
    assert decide_route(Reading(None, confidence=0.99), RULES, 0.5).reason == "the theme is not known"
    assert decide_route(Reading("corruption", confidence=0.99), [], 0.5).to_triage


def test_explanation_names_scores_rule_model_and_threshold() -> None:
    reading = Reading("misconduct", "military", "eastern", 0.8123456)
    decision = decide_route(reading, RULES, 0.5)
    explanation = explain(decision, reading, 0.5, "v1", {"misconduct": 0.8123456, "corruption": 0.1})
    assert explanation["decision"] == "routed" and explanation["body"] == "defence_committee"
    assert explanation["rule"] == "priority 70: theme misconduct + actor military -> defence_committee"
    assert explanation["confidence"] == 0.8123 and explanation["threshold"] == 0.5
    assert explanation["model_version"] == "v1"
    assert list(explanation["scores"]) == ["misconduct", "corruption"]
