"""The crash sweep: a case committed but never routed (the process died in between) is routed by the next
sweep, exactly once, urgency included; a case routing already saw is never routed again."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import Case
from civicwatch.extensions import db
from civicwatch.routing.models import DecisionKind, RoutingDecision
from civicwatch.routing.operations import route_new_case
from civicwatch.routing.sweep import route_never_routed_cases
from tests.conftest import on_postgres

TEXT = "Soldiers are holding my brother at the Kenema checkpoint right now and beating him."


def decisions(case_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(RoutingDecision)
                             .where(RoutingDecision.case_id == case_id))


def test_a_stored_case_never_routed_is_routed_by_one_sweep_and_only_once(make_case, use_fake_classifier, clock):
    classifier = use_fake_classifier(theme="misconduct", confidence=0.9, actor="military", urgent=True)
    case = make_case(TEXT)
    db.session.commit()
    clock.advance(minutes=2)  # older than the grace period: its own request is long gone
    assert route_never_routed_cases() == 1
    db.session.expire_all()
    stored = db.session.get(Case, case.id)
    assert stored.body.code == "defence_committee" and stored.urgent  # the urgency check ran too
    assert stored.routing_explanation["decision"] == "routed"
    assert decisions(case.id) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "case.route")) == 1
    assert route_never_routed_cases() == 0  # a second sweep does nothing
    assert decisions(case.id) == 1 and classifier.seen == [TEXT]


def test_the_sweep_leaves_young_routed_and_failed_cases_alone(make_case, use_fake_classifier, clock):
    classifier = use_fake_classifier(theme="corruption", confidence=0.9)
    routed = make_case("The clerk asked me for a bribe.")
    route_new_case(routed)
    failed = make_case("A text routing failed on.", routing_explanation={"decision": "triage",
                                                                         "reason": "routing failed (KeyError)"})
    db.session.commit()
    clock.advance(minutes=2)
    young = make_case("Stored a moment ago; its request is routing it.")
    db.session.commit()
    assert route_never_routed_cases() == 0
    assert classifier.seen == ["The clerk asked me for a bribe."]
    assert decisions(young.id) == 0 and decisions(failed.id) == 0


def test_routing_a_case_twice_routes_it_once(make_case, use_fake_classifier):
    use_fake_classifier(theme="corruption", confidence=0.9)
    case = make_case("The clerk asked me for a bribe.")
    route_new_case(case)
    db.session.commit()
    route_new_case(case)
    db.session.commit()
    assert decisions(case.id) == 1


def test_the_deliver_worker_sweeps_when_it_starts(app, make_case, use_fake_classifier, clock):
    use_fake_classifier(theme="corruption", confidence=0.9)
    case = make_case("The clerk asked me for a bribe.")
    db.session.commit()
    clock.advance(minutes=5)
    result = app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--once"])
    assert result.exit_code == 0, result.output
    assert "Routed 1 cases that were stored but never routed." in result.output
    db.session.expire_all()
    assert db.session.get(Case, case.id).body.code == "anti_corruption_commission" and decisions(case.id) == 1


@pytest.mark.postgres_only
@pytest.mark.skipif(not on_postgres(), reason="several processes sweep at once only on PostgreSQL")
def test_workers_sweeping_at_once_route_each_case_once(app, make_case, use_fake_classifier, clock):
    classifier = use_fake_classifier(theme="corruption", confidence=0.9)
    slow = classifier.classify

    def slow_classify(text: str):
        time.sleep(0.02)  # long enough for the sweeps to overlap on every case
        return slow(text)

    classifier.classify = slow_classify
    ids = [make_case(f"The clerk asked me for a bribe, number {n}.").id for n in range(12)]
    db.session.commit()
    clock.advance(minutes=2)
    barrier = threading.Barrier(3)

    def sweep() -> int:
        with app.app_context():
            barrier.wait()
            routed = route_never_routed_cases()
            db.session.remove()
            return routed

    with ThreadPoolExecutor(3) as pool:
        counts = list(pool.map(lambda _: sweep(), range(3)))
    assert sum(counts) == 12
    db.session.expire_all()
    assert all(decisions(case_id) == 1 for case_id in ids)
    assert db.session.scalar(select(func.count()).select_from(RoutingDecision)
                             .where(RoutingDecision.kind == DecisionKind.AUTOMATIC)) == 12


@pytest.mark.parametrize("command", [["route-unrouted"], ["patterns", "relate"]])
@pytest.mark.parametrize("limit", ["0", "-1", "9" * 25])
def test_the_sweeps_refuse_a_limit_they_cannot_use(app, command, limit):
    """A limit of no case did nothing and said it had done it; one past what a database LIMIT holds was a
    traceback (OverflowError on SQLite)."""
    result = app.test_cli_runner().invoke(args=["civicwatch", *command, "--limit", limit])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), repr(result.exception)
    assert "--limit" in result.output
