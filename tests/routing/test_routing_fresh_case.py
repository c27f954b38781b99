"""Routing a case stored in the same transaction: a web report's route is planned into the case's INSERT and the
rest written with no savepoint; when anything of it fails, the transaction is rolled back, the report stored again
and each step done alone in a savepoint (route_fresh_case_step_by_step), so a failing step costs only itself.
Texted reports (submit_and_route_complaint) take the same path inside one savepoint, since their transaction holds
the other texts of the SMS worker's batch: a failure rolls back to it alone."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, text

from civicwatch.audit.models import AuditEntry
from civicwatch.cases.identity import contact_of
from civicwatch.cases.models import Case, CaseEvent, Channel, ComplainantIdentity
from civicwatch.cases.reference_numbers import public_reference
from civicwatch.extensions import db
from civicwatch.intake.operations import Receipt, Submission, receive_complaint, submit_and_route_complaint
from civicwatch.patterns.models import Allegation
from civicwatch.routing import operations as routing
from civicwatch.routing.models import RoutingDecision

TEXT = "A soldier insulted my wife at the market in Kenema and threatened to beat her."


def _count(model, *where) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


@pytest.fixture
def failing_step() -> Iterator[list[int]]:
    """An after-routing step that fails in the database (a table that does not exist), counting its calls."""
    calls: list[int] = []

    def query_a_missing_table(case: Case, fresh: bool) -> None:
        calls.append(case.id)
        db.session.execute(text("SELECT * FROM no_such_table"))

    routing.after_routing(query_a_missing_table)
    yield calls
    routing._after_routing.remove(query_a_missing_table)


def test_a_step_failing_in_the_database_keeps_the_routing_and_the_other_steps(app, use_fake_classifier,
                                                                               failing_step) -> None:
    use_fake_classifier(theme="misconduct", confidence=0.8, actor="military", region="eastern", district="kenema")
    receipt = receive_complaint(Submission(text=TEXT, channel=Channel.WEB))
    db.session.expire_all()
    case = db.session.get(Case, receipt.case_id)
    assert case.body is not None and case.body.code == "defence_committee"
    assert case.routing_explanation["decision"] == "routed"
    # Tried once with the rest, then once alone, on the case stored again (the first try's row was rolled back:
    # the same id on SQLite, the next one on PostgreSQL, whose sequence does not go back).
    assert len(failing_step) == 2 and failing_step[-1] == case.id
    assert _count(Case) == 1
    # Done once each, not once per try: the first try's rows went with its savepoint.
    assert _count(RoutingDecision, RoutingDecision.case_id == case.id) == 1
    assert _count(Allegation, Allegation.case_id == case.id) == 1
    assert _count(AuditEntry, AuditEntry.case_id == case.id, AuditEntry.action == "case.route") == 1
    assert _count(AuditEntry, AuditEntry.case_id == case.id, AuditEntry.action == "allegation.add") == 1


def received_while_routing_fails_in_the_database(use_fake_classifier, monkeypatch) -> tuple[Receipt, Case]:
    """A web report whose routing writes its plan and then meets a database error: after the case's row, its
    decision and events, at the audit entry, routing's last write (on the usual path and on the step-by-step one)."""
    use_fake_classifier(theme="misconduct", confidence=0.8, actor="military", region="eastern", district="kenema")
    audited = routing._audit_route

    def audit_then_fail(case: Case, plan: routing.RoutePlan, before: dict) -> None:
        audited(case, plan, before)
        db.session.execute(text("SELECT * FROM no_such_table"))

    monkeypatch.setattr(routing, "_audit_route", audit_then_fail)
    receipt = receive_complaint(Submission(text=TEXT, channel=Channel.WEB))
    db.session.expire_all()
    return receipt, db.session.get(Case, receipt.case_id)


def test_routing_failing_in_the_database_leaves_the_case_in_triage(app, use_fake_classifier, monkeypatch) -> None:
    _, case = received_while_routing_fails_in_the_database(use_fake_classifier, monkeypatch)
    assert case.body_id is None and case.theme_id is None
    assert case.routing_explanation["decision"] == "triage"
    assert case.routing_explanation["reason"].startswith("routing failed (")
    assert _count(RoutingDecision, RoutingDecision.case_id == case.id) == 0
    assert _count(AuditEntry, AuditEntry.case_id == case.id, AuditEntry.action == "case.route") == 0
    assert _count(AuditEntry, AuditEntry.case_id == case.id, AuditEntry.action == "case.submit") == 1


def test_routing_failing_in_the_database_keeps_the_reference_and_the_received_event(app, use_fake_classifier,
                                                                                      monkeypatch) -> None:
    # The reference and the "received" event are written before routing's savepoint: its rollback keeps them.
    receipt, case = received_while_routing_fails_in_the_database(use_fake_classifier, monkeypatch)
    assert case.reference == receipt.reference == public_reference(case.created_at.year, case.id)
    assert case.version == 3  # inserted, given its reference, then the failure noted
    assert _count(CaseEvent, CaseEvent.case_id == case.id, CaseEvent.kind == "received") == 1
    assert _count(CaseEvent, CaseEvent.case_id == case.id) == 1


@pytest.fixture
def step_changing_the_case() -> Iterator[list[int]]:
    """An after-routing step that changes the case (flushed by the ORM after routing's own UPDATE)."""
    calls: list[int] = []

    def change(case: Case, fresh: bool) -> None:
        calls.append(case.id)
        case.status_reason = "set by a step"
        db.session.flush()

    routing.after_routing(change)
    yield calls
    routing._after_routing.remove(change)


def test_what_was_changed_before_and_after_routing_is_all_stored(app, use_fake_classifier,
                                                                   step_changing_the_case) -> None:
    """Routing writes a new case's changes with a statement of its own: a change made before it in the same
    transaction (and not flushed), a value cleared and a step's change after it are all stored, with no retry."""
    use_fake_classifier(theme="misconduct", confidence=0.8, actor="military", region="eastern", district="kenema")

    def before_routing(case: Case) -> None:
        case.location_text = "Kenema market"
        case.language = None  # a value cleared

    receipt = receive_complaint(Submission(text=TEXT, channel=Channel.WEB), on_stored=before_routing)
    db.session.expire_all()
    case = db.session.get(Case, receipt.case_id)
    assert case.location_text == "Kenema market" and case.language is None
    assert case.status_reason == "set by a step"
    assert case.body is not None and case.body.code == "defence_committee"
    assert case.theme is not None and case.acknowledge_due_at is not None and case.respond_due_at is not None
    assert case.routing_explanation["decision"] == "routed"
    assert step_changing_the_case == [case.id]  # once: the step's flush found the version routing wrote
    case.findings = "a later edit"
    db.session.commit()  # the version check of a later change holds
    assert db.session.get(Case, receipt.case_id).findings == "a later edit"


def test_a_change_before_routing_survives_routing_done_again(app, use_fake_classifier, failing_step) -> None:
    """The savepoint undone (a failing step): the case is read again and routed by a flush; what was changed on it
    before routing is kept, and the routing is stored once."""
    use_fake_classifier(theme="misconduct", confidence=0.8, actor="military", region="eastern", district="kenema")

    def before_routing(case: Case) -> None:
        case.location_text = "Kenema market"

    receipt = receive_complaint(Submission(text=TEXT, channel=Channel.WEB), on_stored=before_routing)
    db.session.expire_all()
    case = db.session.get(Case, receipt.case_id)
    assert case.location_text == "Kenema market"
    assert case.body is not None and case.body.code == "defence_committee" and case.respond_due_at is not None
    assert _count(RoutingDecision, RoutingDecision.case_id == case.id) == 1


def _plans_no_write_can_store(planned):  # type: ignore[no-untyped-def]
    """plan_fresh_route, with scores that have no JSON: every write of the route fails."""
    def unstorable(case: Case, classified: object) -> routing.RoutePlan:
        plan = planned(case, classified)
        plan.scores = {"misconduct": object()}
        return plan
    return unstorable


def test_a_route_the_database_refuses_in_the_cases_own_insert_leaves_the_report_stored_in_triage(
        app, use_fake_classifier, monkeypatch) -> None:
    """The route is written by the case's own INSERT: when that INSERT fails, the report is stored again, unrouted,
    and routing's failure leaves it in the triage queue with the reason, as when routing's UPDATE failed."""
    use_fake_classifier(theme="misconduct", confidence=0.8, actor="military", region="eastern", district="kenema")
    unstorable = _plans_no_write_can_store(routing.plan_fresh_route)
    monkeypatch.setattr(routing, "plan_fresh_route", unstorable)
    receipt = receive_complaint(Submission(text=TEXT, channel=Channel.WEB))
    db.session.expire_all()
    case = db.session.get(Case, receipt.case_id)
    assert case is not None and case.text == TEXT and case.reference == receipt.reference
    assert case.theme_id is None
    _assert_stored_unrouted_in_triage(case)
    assert _count(Case) == 1
    assert _count(AuditEntry, AuditEntry.action == "case.route") == 0


def _assert_stored_unrouted_in_triage(case: Case) -> None:
    """Stored with none of its route: in triage with the reason, its "received" event and submit entry only."""
    assert case.body_id is None and case.theme_scores is None
    assert case.routing_explanation["decision"] == "triage"
    assert case.routing_explanation["reason"].startswith("routing failed (")
    assert _count(CaseEvent, CaseEvent.case_id == case.id) == 1  # received
    assert _count(RoutingDecision, RoutingDecision.case_id == case.id) == 0
    assert _count(AuditEntry, AuditEntry.case_id == case.id, AuditEntry.action == "case.submit") == 1
    assert _count(AuditEntry, AuditEntry.case_id == case.id, AuditEntry.action == "case.route") == 0


# ---------------------------------------------------------------- texted reports, in a transaction shared with others

def _batch_with_failing_second(use_fake_classifier, install_failure) -> tuple[Case, Case]:  # type: ignore[no-untyped-def]
    use_fake_classifier(theme="misconduct", confidence=0.8, actor="military", region="eastern", district="kenema")
    first, _ = submit_and_route_complaint(Submission(text=TEXT, channel=Channel.SMS, phone="+23276200001"))
    first_id = first.id
    install_failure()
    second, _ = submit_and_route_complaint(Submission(text=TEXT + " Again.", channel=Channel.SMS,
                                                      phone="+23276200002"))
    second_id, second_reference = second.id, second.reference
    db.session.commit()
    db.session.expire_all()
    stored_first, stored_second = db.session.get(Case, first_id), db.session.get(Case, second_id)
    assert stored_second is not None and stored_second.reference == second_reference
    assert contact_of(stored_second)["phone"] == "+23276200002"  # its contact stored once, with it
    assert _count(ComplainantIdentity) == 2
    return stored_first, stored_second  # type: ignore[return-value]


def test_a_texted_report_whose_route_the_insert_refuses_is_stored_in_triage_and_the_batch_kept(
        app, use_fake_classifier, monkeypatch) -> None:
    unstorable = _plans_no_write_can_store(routing.plan_fresh_route)
    first, second = _batch_with_failing_second(
        use_fake_classifier, lambda: monkeypatch.setattr(routing, "plan_fresh_route", unstorable))
    assert first.body is not None and first.body.code == "defence_committee"
    assert second.text == TEXT + " Again."
    _assert_stored_unrouted_in_triage(second)
    assert _count(Case) == 2
    assert _count(AuditEntry, AuditEntry.action == "case.route") == 1  # the first's


def test_a_texted_report_whose_routing_fails_in_the_database_is_left_in_triage_and_the_batch_kept(
        app, use_fake_classifier, monkeypatch) -> None:
    audited = routing._audit_route

    def audit_then_fail(case: Case, plan: routing.RoutePlan, before: dict) -> None:
        audited(case, plan, before)
        db.session.execute(text("SELECT * FROM no_such_table"))

    first, second = _batch_with_failing_second(
        use_fake_classifier, lambda: monkeypatch.setattr(routing, "_audit_route", audit_then_fail))
    assert first.body is not None and first.routing_explanation["decision"] == "routed"
    assert second.body_id is None and second.theme_id is None
    assert second.routing_explanation["decision"] == "triage"
    assert second.routing_explanation["reason"].startswith("routing failed (")
    assert second.reference == public_reference(second.created_at.year, second.id)
    assert _count(Case) == 2
    assert _count(CaseEvent, CaseEvent.case_id == second.id, CaseEvent.kind == "received") == 1
    assert _count(CaseEvent, CaseEvent.case_id == second.id) == 1
    assert _count(RoutingDecision, RoutingDecision.case_id == second.id) == 0
    assert _count(AuditEntry, AuditEntry.case_id == second.id, AuditEntry.action == "case.route") == 0
    assert _count(AuditEntry, AuditEntry.case_id == second.id, AuditEntry.action == "case.submit") == 1
    assert _count(RoutingDecision, RoutingDecision.case_id == first.id) == 1


def test_a_step_failing_after_a_texted_report_keeps_its_routing_and_the_batch(app, use_fake_classifier,
                                                                              failing_step) -> None:
    first, second = _batch_with_failing_second(use_fake_classifier, lambda: None)
    assert first.body is not None and second.body is not None and second.body.code == "defence_committee"
    # Each tried with the rest, then alone, on the report stored again (the first try's row went with its savepoint).
    assert len(failing_step) == 4 and failing_step[-1] == second.id and first.id in failing_step
    assert _count(Case) == 2
    for case in (first, second):
        assert _count(RoutingDecision, RoutingDecision.case_id == case.id) == 1
        assert _count(Allegation, Allegation.case_id == case.id) == 1
        assert _count(AuditEntry, AuditEntry.case_id == case.id, AuditEntry.action == "case.route") == 1
        assert _count(AuditEntry, AuditEntry.case_id == case.id, AuditEntry.action == "case.submit") == 1
        assert _count(CaseEvent, CaseEvent.case_id == case.id) == 2  # received, routed
