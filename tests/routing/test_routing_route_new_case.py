"""route_new_case: classify a stored complaint and route it by the rules, or leave it in triage. Never raises."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicwatch.audit.models import AuditEntry
from civicwatch.cases.deadlines import acknowledge_deadline
from civicwatch.cases.models import Case, CaseEvent
from civicwatch.extensions import db
from civicwatch.routing.models import DecisionKind, RoutingDecision, RoutingRule
from civicwatch.routing.operations import route_new_case
from civicwatch.taxonomy.models import Actor, Body, District, Region, Setting, Theme
from tests.conftest import body_by_code


def _route(case) -> None:
    route_new_case(case)
    db.session.commit()


def test_routes_by_the_rules_and_explains(make_case, use_fake_classifier) -> None:
    use_fake_classifier(theme="misconduct", confidence=0.8, actor="military", region="eastern", district="kenema")
    case = make_case("A soldier insulted my wife in Kenema.")
    _route(case)
    assert case.body.code == "defence_committee" and not case.routed_by_hand
    assert (case.theme.code, case.actor.code, case.region.code, case.district.code) == (
        "misconduct", "military", "eastern", "kenema")
    assert case.theme_confidence == 0.8 and case.theme_scores["misconduct"] == 0.8
    assert case.model_version == "fake-1"
    explanation = case.routing_explanation
    assert explanation["decision"] == "routed" and explanation["body"] == "defence_committee"
    assert "actor military" in explanation["rule"] and explanation["threshold"] == 0.5
    assert explanation["model_version"] == "fake-1" and explanation["scores"]["misconduct"] == 0.8
    assert explanation["actor_source"] == "text" and explanation["place_source"] == "text"
    decision = db.session.scalars(select(RoutingDecision)).one()
    assert decision.kind == DecisionKind.AUTOMATIC and decision.to_body_id == case.body_id
    event = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "routed")).one()
    assert event.public and event.detail == {"body": case.body.name}
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "case.route")).one()
    assert audit.case_id == case.id and audit.after["body"] == "defence_committee" and audit.user_id is None


def test_below_the_threshold_waits_in_triage(make_case, use_fake_classifier) -> None:
    use_fake_classifier(theme="corruption", confidence=0.42)
    case = make_case()
    _route(case)
    assert case.body_id is None and case.theme.code == "corruption"
    assert "below the threshold 0.50" in case.routing_explanation["reason"]
    assert db.session.scalars(select(RoutingDecision)).one().to_body_id is None
    assert not db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "routed")).all()


def test_the_threshold_comes_from_the_setting(make_case, use_fake_classifier) -> None:
    db.session.get(Setting, "routing_confidence_threshold").value = 0.3
    db.session.commit()
    use_fake_classifier(theme="corruption", confidence=0.42)
    case = make_case()
    _route(case)
    assert case.body.code == "anti_corruption_commission"
    assert case.routing_explanation["threshold"] == 0.3


def test_no_rule_that_fits_waits_in_triage(make_case, use_fake_classifier) -> None:
    db.session.query(RoutingRule).delete()
    db.session.commit()
    use_fake_classifier(theme="corruption", confidence=0.99)
    case = make_case()
    _route(case)
    assert case.body_id is None and case.routing_explanation["reason"].startswith("no routing rule")


def test_a_rule_to_a_closed_body_never_fires(make_case, use_fake_classifier) -> None:
    body_by_code("anti_corruption_commission").active = False
    db.session.commit()
    use_fake_classifier(theme="corruption", confidence=0.99)
    case = make_case()
    _route(case)
    assert case.body_id is None


def test_without_a_model_the_case_waits_in_triage(make_case) -> None:
    case = make_case()
    _route(case)
    assert case.body_id is None and case.theme_id is None
    assert case.routing_explanation == {"decision": "triage", "body": None,
                                        "reason": "no classifier model is active", "model_version": None}


def test_a_failing_classifier_leaves_the_case_in_triage(make_case, use_fake_classifier) -> None:
    use_fake_classifier(error=MemoryError("model exploded"))
    case = make_case()
    _route(case)
    assert case.body_id is None and case.routing_explanation["reason"] == "the classifier failed (MemoryError)"


def test_a_database_failure_never_escapes(make_case, use_fake_classifier, monkeypatch) -> None:
    import civicwatch.routing.operations as operations

    def broken_audit(*args, **kwargs):
        raise RuntimeError("audit table locked")

    use_fake_classifier(theme="corruption", confidence=0.99)
    case = make_case()
    case_id = case.id
    monkeypatch.setattr(operations, "record_audit", broken_audit)
    route_new_case(case)  # must not raise
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(type(case), case_id)
    assert stored.body_id is None and stored.routing_explanation["reason"] == "routing failed (RuntimeError)"
    assert not db.session.scalars(select(RoutingDecision)).all()


def test_an_unreadable_text_goes_to_triage_with_the_reason(make_case, use_fake_classifier) -> None:
    use_fake_classifier(theme=None, confidence=0.0, notes=("no words to read",))
    case = make_case("😀😀😀")
    _route(case)
    assert case.body_id is None and "no words to read" in case.routing_explanation["reason"]


def test_a_theme_the_taxonomy_does_not_have_goes_to_triage(make_case, use_fake_classifier) -> None:
    use_fake_classifier(theme="PHYSICAL ABUSE", confidence=0.99)
    case = make_case()
    _route(case)
    assert case.body_id is None and case.theme_id is None
    assert "not an active theme" in case.routing_explanation["reason"]


def test_what_the_complainant_chose_wins_over_the_text(make_case, use_fake_classifier) -> None:
    use_fake_classifier(theme="service_failure", confidence=0.9, actor="military", region="eastern",
                        district="kenema")
    bo = db.session.scalars(select(District).where(District.code == "bo")).one()
    police = db.session.scalars(select(Actor).where(Actor.code == "police")).one()
    case = make_case(district=bo, region=bo.region, actor=police)
    _route(case)
    assert (case.actor.code, case.region.code, case.district.code) == ("police", "southern", "bo")
    assert case.body.code == "community_southern"
    assert case.routing_explanation["actor_source"] == "complainant"
    assert case.routing_explanation["place_source"] == "complainant"


def test_urgency_shortens_the_deadlines(make_case, use_fake_classifier) -> None:
    use_fake_classifier(theme="unlawful_detention", confidence=0.9, urgent=True)
    case = make_case("They took my son an hour ago and nobody knows where he is.")
    _route(case)
    body = body_by_code("justice_inspectorate")
    assert case.urgent and case.body == body
    assert case.acknowledge_due_at == acknowledge_deadline(case, body, case.created_at)
    assert case.acknowledge_due_at < acknowledge_deadline(Case(urgent=False), body, case.created_at)


def test_with_the_real_fixture_model(make_case, active_model) -> None:
    """End to end with a trained model: the stored case gets every field, whatever the confidence."""
    db.session.get(Setting, "routing_confidence_threshold").value = 0.0
    db.session.commit()
    case = make_case("No salary for five months, we soldiers in the barracks at Waterloo cannot feed our families.")
    _route(case)
    assert case.model_version == active_model
    assert case.theme is not None and 0 <= case.theme_confidence <= 1
    assert set(case.theme_scores) == {t.code for t in db.session.scalars(select(Theme))}
    assert case.region == db.session.scalars(select(Region).where(Region.code == "western_area")).one()
    assert case.body is not None and isinstance(case.body, Body)


@pytest.mark.parametrize("text", ["", "   ", "😡" * 50, "x" * 100_000, "\x01\x02garbage\xff\x7f",
                                  "Les gendarmes ont frappé mon frère devant la mairie hier soir"])
def test_bad_text_with_the_real_model_goes_to_triage(make_case, active_model, text: str) -> None:
    case = make_case(text)
    _route(case)
    assert case.body_id is None and case.theme_confidence == 0.0
    assert case.routing_explanation["decision"] == "triage"
