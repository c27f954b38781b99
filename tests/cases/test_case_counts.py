"""The dashboard's maintained counts (`case_counts`): right after any sequence of the operations that store a
case, change its status or send it to another body; and the check that recounts them from the cases."""
from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select, update

from civicwatch.accounts.models import Role, User
from civicwatch.cases.counts import count_discrepancies
from civicwatch.cases.models import OPEN_STATUSES, Case, CaseCount, CaseStatus, Channel
from civicwatch.cases.workflow import available_transitions, transition_case
from civicwatch.errors import DomainError
from civicwatch.extensions import db
from civicwatch.intake.operations import Submission, submit_complaint
from civicwatch.routing.operations import route_case
from civicwatch.taxonomy.models import Body

STATUSES = list(CaseStatus)


def test_the_counts_follow_a_random_sequence_of_operations(clock, make_case, make_user):
    rng = random.Random(16)
    admin = make_user(Role.ADMIN)
    bodies = list(db.session.scalars(select(Body).where(Body.active.is_(True)).order_by(Body.id)))
    cases = [make_case(rng.choice(STATUSES), body=rng.choice([None, *bodies])) for _ in range(6)]
    done: set[str] = set()
    for step in range(60):
        case = rng.choice(cases)
        kind = rng.choice(["store", "submit", "transition", "transition", "route"])
        try:
            if kind == "store":
                cases.append(make_case(rng.choice(STATUSES), body=rng.choice([None, *bodies]), urgent=rng.random() < .3))
            elif kind == "submit":
                cases.append(submit_complaint(Submission(
                    text=f"Soldiers took my neighbour's goods at the checkpoint, report {step}.",
                    channel=rng.choice([Channel.WEB, Channel.SMS])))[0])
            elif kind == "transition" and (targets := available_transitions(admin, case)):
                transition_case(case, rng.choice(targets)[0], admin, reason="Checked with the complainant.")
            elif kind == "route" and (open_cases := [c for c in cases if c.status in OPEN_STATUSES]):
                route_case(rng.choice(open_cases), admin, rng.choice(bodies), "The other body handles this.")
            db.session.commit()
            done.add(kind)
        except DomainError:
            db.session.rollback()  # a move the rules refuse changes nothing, counts included
        clock.advance(hours=1)
        assert count_discrepancies() == {}, f"after step {step} ({kind})"
    assert done == {"store", "submit", "transition", "route"}
    assert len({case.status for case in db.session.scalars(select(Case))}) >= 5


def test_the_check_finds_and_repairs_a_count_that_drifted(app, make_case):
    make_case(CaseStatus.INVESTIGATING)
    make_case(CaseStatus.INVESTIGATING)
    make_case(CaseStatus.RECEIVED, body=None)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["civicwatch", "cases", "check-counts"]).exit_code == 0
    db.session.execute(update(CaseCount).where(CaseCount.status == "investigating").values(cases=5))
    db.session.commit()
    result = runner.invoke(args=["civicwatch", "cases", "check-counts"])
    assert result.exit_code == 1 and "investigating: stored 5, counted 2" in result.output
    assert runner.invoke(args=["civicwatch", "cases", "check-counts", "--repair"]).exit_code == 0
    db.session.expire_all()
    assert count_discrepancies() == {}


def test_concurrent_writers_lose_no_count(app, make_case, make_user):
    """Four writers send their own cases on from triage at once, to two bodies: every route touches the same few
    rows (triage's received, then the body's received and triaged), in the same transactions as other writers."""
    admin = make_user(Role.ADMIN)
    bodies = list(db.session.scalars(select(Body).where(Body.active.is_(True)).order_by(Body.id)))[:2]
    batches = [[make_case(CaseStatus.RECEIVED, body=None).id for _ in range(6)] for _ in range(4)]
    admin_id, body_ids = admin.id, [body.id for body in bodies]
    barrier = threading.Barrier(len(batches))

    def writer(case_ids: list[int]) -> None:
        with app.app_context():
            barrier.wait()
            for number, case_id in enumerate(case_ids):
                route_case(db.session.get_one(Case, case_id), db.session.get_one(User, admin_id),
                           db.session.get_one(Body, body_ids[number % 2]), "Their mandate.")
                db.session.commit()
            db.session.remove()

    with ThreadPoolExecutor(len(batches)) as pool:
        list(pool.map(writer, batches))
    db.session.expire_all()
    assert count_discrepancies() == {}
    triaged = select(CaseCount.body_id, CaseCount.cases).where(CaseCount.status == "triaged")
    assert {body_id: count for body_id, count in db.session.execute(triaged)} == dict.fromkeys(body_ids, 12)


def _submitted(number: int) -> Case:
    return submit_complaint(Submission(text=f"Police at the junction took money from riders, report {number}.",
                                       channel=Channel.WEB))[0]


def test_a_case_stored_is_counted_where_it_is_when_its_transaction_commits(make_user):
    """Counted at the commit, not when stored: a case routed in the transaction that stored it, one whose counts
    were read before it was routed, and one counted in a savepoint that was rolled back."""
    admin = make_user(Role.ADMIN)
    body = db.session.scalars(select(Body).where(Body.active.is_(True)).order_by(Body.id)).first()
    route_case(_submitted(1), admin, body, "Their mandate.")
    db.session.commit()
    assert count_discrepancies() == {}

    read_first = _submitted(2)
    assert count_discrepancies() == {}  # the counts read inside the transaction include the case already
    route_case(read_first, admin, body, "Their mandate.")
    db.session.commit()
    assert count_discrepancies() == {}

    _submitted(3)
    savepoint = db.session.begin_nested()
    assert count_discrepancies() == {}
    savepoint.rollback()
    db.session.commit()
    assert count_discrepancies() == {}
