"""Related-case proposals leave the citizen's request: routing queues the new case, a `deliver` worker proposes
its related cases, each queued case exactly once, however many workers run."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from civicwatch.cases.models import Case, CaseStatus
from civicwatch.extensions import db
from civicwatch.patterns.models import CaseRelation, PendingRelationProposal
from civicwatch.patterns.operations import queue_relation_proposals
from civicwatch.patterns.sweep import claim_queued_cases, propose_queued_relations
from tests.conftest import on_postgres
from tests.intake.conftest import post_report

TEXT = ("Soldiers at the Tongo Field checkpoint in Kenema beat the bus driver with rifle butts and took his money "
        "from him in front of all the passengers.")


def queued() -> list[int]:
    return list(db.session.scalars(select(PendingRelationProposal.case_id).order_by(PendingRelationProposal.case_id)))


def relations_of(case_id: int) -> list[int]:
    return list(db.session.scalars(select(CaseRelation.related_case_id).where(CaseRelation.case_id == case_id)))


def an_earlier_report_like(case: Case, make_case, clock) -> Case:
    return make_case(CaseStatus.INVESTIGATING, body="human_rights_commission", text=TEXT, district=case.district,
                     theme=case.theme.code if case.theme else None, actor=case.actor,
                     created_at=clock.now - dt.timedelta(days=2))


def test_a_web_report_is_queued_and_the_worker_proposes_its_related_cases_once(client, make_case, clock):
    assert post_report(client, text=TEXT, area="district:kenema").status_code == 303
    new = db.session.scalar(select(Case).order_by(Case.id.desc()))
    assert queued() == [new.id] and relations_of(new.id) == []  # nothing compared in the request
    old = an_earlier_report_like(new, make_case, clock)
    assert propose_queued_relations() == 1
    assert relations_of(new.id) == [old.id] and queued() == []
    assert propose_queued_relations() == 0  # exactly once
    assert db.session.scalar(select(func.count(CaseRelation.id))) == 1


def test_a_case_is_queued_once_and_claimed_by_one_worker_only(make_case, app):
    first, second = make_case(CaseStatus.RECEIVED), make_case(CaseStatus.RECEIVED)
    for case in (first, second, first):
        queue_relation_proposals(case)
    db.session.commit()
    assert queued() == [first.id, second.id]
    assert claim_queued_cases(1) == [first.id]  # held by this worker's open transaction
    with app.app_context():  # a second worker: its own session and connection
        if db.session.get_bind().dialect.name == "postgresql":
            assert claim_queued_cases(2) == [second.id]  # skips the row the first worker holds
        db.session.rollback()
    db.session.commit()
    assert queued() == [second.id]


def test_a_worker_that_dies_before_committing_leaves_the_case_queued(make_case):
    case = make_case(CaseStatus.RECEIVED)
    queue_relation_proposals(case)
    db.session.commit()
    assert claim_queued_cases(1) == [case.id]
    db.session.rollback()  # the worker died: its transaction is gone
    assert queued() == [case.id]


def test_the_command_proposes_what_is_queued(app, make_case):
    queue_relation_proposals(make_case(CaseStatus.RECEIVED))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["civicwatch", "patterns", "relate"])
    assert "proposed for 1 new cases" in result.output and queued() == []


@pytest.mark.postgres_only
@pytest.mark.skipif(not on_postgres(), reason="PostgreSQL's planner and SKIP LOCKED")
def test_a_claim_takes_no_more_than_asked_when_the_queue_was_analysed_empty(make_case):
    db.session.execute(text("ANALYZE pending_relation_proposals"))
    db.session.commit()
    cases = [make_case(CaseStatus.RECEIVED) for _ in range(4)]
    for case in cases:
        queue_relation_proposals(case)
    db.session.commit()
    assert claim_queued_cases(1) == [cases[0].id]
    assert queued() == [case.id for case in cases[1:]]
