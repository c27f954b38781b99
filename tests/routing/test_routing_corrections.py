"""Staff corrections of the classifier's reading, overrides of the body, and the override figures."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.audit.values import fingerprint
from civicwatch.cases.models import CaseEvent
from civicwatch.classify.models import LabelledExample
from civicwatch.classify.queries import count_waiting_corrections
from civicwatch.errors import DomainError
from civicwatch.extensions import db
from civicwatch.routing.models import DecisionKind, RoutingDecision, RoutingRule
from civicwatch.routing.operations import KEEP, correct_case, override_body, route_new_case
from civicwatch.routing.queries import override_rates
from civicwatch.taxonomy.models import Actor, District, Region, Theme
from tests.conftest import body_by_code


def by_code(model, code):
    return db.session.scalars(select(model).where(model.code == code)).one()


@pytest.fixture
def routed_case(make_case, use_fake_classifier):
    """A case the rules sent to the Anti-Corruption Commission."""
    use_fake_classifier(theme="corruption", confidence=0.9)
    case = make_case("The officer insulted me and my mother at the station.")
    route_new_case(case)
    db.session.commit()
    assert case.body.code == "anti_corruption_commission"
    return case


def test_a_theme_correction_reroutes_and_becomes_a_training_example(routed_case, make_user) -> None:
    user = make_user(Role.TRIAGE)
    decision = correct_case(routed_case, user, theme=by_code(Theme, "misconduct"),
                            actor=by_code(Actor, "military"))
    db.session.commit()
    assert decision.body == "defence_committee" and routed_case.body.code == "defence_committee"
    assert routed_case.theme.code == "misconduct" and routed_case.theme_confidence is None
    assert not routed_case.routed_by_hand
    assert routed_case.routing_explanation["decision"] == "routed"
    assert routed_case.routing_explanation["corrected_by"] == user.id
    example = db.session.scalars(select(LabelledExample)).one()
    assert (example.case_id, example.field, example.label, example.text, example.used_in_model) == (
        routed_case.id, "theme", "misconduct", routed_case.text, None)
    assert count_waiting_corrections() == 1
    event = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "classification_corrected")).one()
    assert not event.public and event.detail == {"theme": "misconduct", "actor": "military",
                                                 "body": "defence_committee"}
    assert db.session.scalars(select(RoutingDecision).where(RoutingDecision.kind == DecisionKind.CORRECTED)).one()
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "case.correct")).one()
    assert audit.user_id == user.id and audit.before["theme"] == "corruption" and audit.after["theme"] == "misconduct"


def test_correcting_again_replaces_the_waiting_example(routed_case, make_user) -> None:
    user = make_user(Role.TRIAGE)
    correct_case(routed_case, user, theme=by_code(Theme, "misconduct"))
    correct_case(routed_case, user, theme=by_code(Theme, "abuse_of_force"))
    db.session.commit()
    assert [e.label for e in db.session.scalars(select(LabelledExample))] == ["abuse_of_force"]


def test_place_and_actor_corrections_do_not_make_examples(routed_case, make_user) -> None:
    user = make_user(Role.TRIAGE)
    routed_case.theme = by_code(Theme, "service_failure")
    db.session.commit()
    correct_case(routed_case, user, district=by_code(District, "kenema"))
    db.session.commit()
    assert routed_case.region.code == "eastern"  # the district brings its region
    assert routed_case.body.code == "community_eastern"
    assert count_waiting_corrections() == 0


def test_keep_and_none(routed_case, make_user) -> None:
    user = make_user(Role.TRIAGE)
    routed_case.actor = by_code(Actor, "police")
    db.session.commit()
    correct_case(routed_case, user, actor=KEEP, theme=KEEP)
    assert routed_case.actor.code == "police" and routed_case.theme.code == "corruption"
    correct_case(routed_case, user, actor=None)
    assert routed_case.actor is None
    body_id = routed_case.body_id
    correct_case(routed_case, user, theme=None)
    assert routed_case.body_id == body_id
    assert routed_case.routing_explanation["reason"] == "the theme is not known: the case stays with its body"


def test_a_correction_no_rule_fits_leaves_a_case_in_hand_with_its_body(routed_case, make_user, client,
                                                                        login_as) -> None:
    """Corrected to a theme no rule routes, a case under investigation kept its status and investigator but lost
    its body: out of every body's queue, and out of its own investigator's reach."""
    investigator = make_user(Role.INVESTIGATOR, body=routed_case.body)
    routed_case.assigned_to_id = investigator.id
    for rule in db.session.scalars(select(RoutingRule).where(RoutingRule.theme_id == by_code(Theme, "misconduct").id)):
        db.session.delete(rule)
    db.session.commit()
    body_id = routed_case.body_id
    correct_case(routed_case, make_user(Role.TRIAGE), theme=by_code(Theme, "misconduct"))
    db.session.commit()
    assert routed_case.body_id == body_id and routed_case.assigned_to_id == investigator.id
    assert routed_case.theme.code == "misconduct"
    assert "stays with its body" in routed_case.routing_explanation["reason"]
    login_as(investigator)
    assert client.get(f"/staff/cases/{routed_case.id}").status_code == 200


def test_a_case_in_triage_stays_there_when_no_rule_fits(make_case, use_fake_classifier, make_user) -> None:
    use_fake_classifier(theme="corruption", confidence=0.1)
    case = make_case()
    route_new_case(case)
    correct_case(case, make_user(Role.TRIAGE), theme=None)
    assert case.body_id is None and case.routing_explanation["decision"] == "triage"


def test_a_district_outside_the_region_is_refused(routed_case, make_user) -> None:
    with pytest.raises(DomainError, match="Kenema is not in"):
        correct_case(routed_case, make_user(Role.TRIAGE), region=by_code(Region, "northern"),
                     district=by_code(District, "kenema"))


def test_the_staff_reading_ignores_the_confidence_threshold(make_case, use_fake_classifier, make_user) -> None:
    use_fake_classifier(theme="corruption", confidence=0.1)
    case = make_case()
    route_new_case(case)
    assert case.body_id is None
    correct_case(case, make_user(Role.TRIAGE), theme=by_code(Theme, "corruption"))
    assert case.body.code == "anti_corruption_commission"
    assert count_waiting_corrections() == 0  # the theme did not change


def test_override_sends_the_case_by_hand(routed_case, make_user) -> None:
    user = make_user(Role.TRIAGE)
    police_oversight = body_by_code("police_oversight")
    override_body(routed_case, user, police_oversight, "  Rudeness at a station is for the police authority.  ")
    db.session.commit()
    assert routed_case.body == police_oversight and routed_case.routed_by_hand
    explanation = routed_case.routing_explanation
    assert explanation["decision"] == "routed by hand" and explanation["by"] == user.id
    assert explanation["reason"] == "Rudeness at a station is for the police authority."
    assert explanation["previous_body"] == "anti_corruption_commission"
    event = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "routed_by_hand")).one()
    assert event.detail["reason"].startswith("Rudeness") and not event.public
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "case.override_body")).one()
    assert audit.after == {"body": "police_oversight", "reason": fingerprint(explanation["reason"])}


@pytest.mark.parametrize("reason", ["", "   ", None, "x" * 2001])
def test_override_needs_a_reason(routed_case, make_user, reason) -> None:
    with pytest.raises(DomainError):
        override_body(routed_case, make_user(Role.TRIAGE), body_by_code("police_oversight"), reason)
    assert routed_case.body.code == "anti_corruption_commission"


def test_override_to_a_closed_body_is_refused(routed_case, make_user) -> None:
    closed = body_by_code("police_oversight")
    closed.active = False
    with pytest.raises(DomainError, match="active"):
        override_body(routed_case, make_user(Role.TRIAGE), closed, "because")


def test_override_rate_per_body(make_case, use_fake_classifier, make_user) -> None:
    user = make_user(Role.TRIAGE)
    use_fake_classifier(theme="corruption", confidence=0.9)
    cases = [make_case(f"bribe number {i}") for i in range(4)]
    for case in cases:
        route_new_case(case)
    override_body(cases[0], user, body_by_code("police_oversight"), "not a bribe")
    override_body(cases[0], user, body_by_code("auditor_general"), "then moved again")  # counted once
    triaged = make_case("unclear")
    use_fake_classifier(theme="corruption", confidence=0.1)
    route_new_case(triaged)
    override_body(triaged, user, body_by_code("anti_corruption_commission"), "from triage")  # not an override
    db.session.commit()
    rates = {row.body.code: row for row in override_rates()}
    acc = rates["anti_corruption_commission"]
    assert (acc.routed_automatically, acc.overridden, acc.rate) == (4, 1, 0.25)
    assert rates["police_oversight"].routed_automatically == 0 and rates["police_oversight"].rate is None
