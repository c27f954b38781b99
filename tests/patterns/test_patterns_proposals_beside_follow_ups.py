"""Related-case proposals made while SMS follow-ups lock the same cases (PostgreSQL, several workers): inserting a
proposal checks that both cases exist, which locks their rows for key share; a follow-up locks its case with
lock_case. The two must not block each other, or a worker proposing one case while holding another deadlocks
with a batch of follow-ups that holds the first and wants the second."""
from __future__ import annotations

import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Connection, event, func, select, text

from civicwatch.audit.queries import verify_chain
from civicwatch.cases.models import Case, CaseStatus
from civicwatch.cases.operations import lock_case
from civicwatch.extensions import db
from civicwatch.patterns.models import CaseRelation, PendingRelationProposal
from civicwatch.patterns.operations import queue_relation_proposals
from civicwatch.patterns.sweep import propose_queued_relations
from civicwatch.taxonomy.models import District
from tests.conftest import on_postgres

TEXT = ("Soldiers at the Tongo Field checkpoint in Kenema beat the bus driver with rifle butts and took his money "
        "from him in front of all the passengers.")


def blocked_or_done(conn: Connection, pid: int, done: threading.Event) -> bool:
    """Whether some backend waits for a lock `pid` holds (True), or `done` was set first (False). Polled."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not done.is_set():
        if conn.scalar(text("SELECT pid FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"),
                       {"pid": pid}) is not None:
            return True
        time.sleep(0.01)
    return False


@pytest.mark.postgres_only
@pytest.mark.skipif(not on_postgres(), reason="row locks and deadlock detection are PostgreSQL's")
def test_proposals_and_follow_ups_on_the_same_cases_do_not_deadlock(app, make_case, clock):
    """A batch of follow-ups holds the second queued case (lock_case) when a worker proposes the two queued cases
    in one transaction, then wants the first. Before, the proposals' foreign-key checks waited for the follow-up's
    FOR UPDATE lock while holding the first case: a deadlock, the proposals (checking for it 10 ms into their wait)
    rolled back and the worker's job failed. Now neither waits: both cases are proposed once and the follow-ups
    commit."""
    kenema = db.session.query(District).filter_by(code="kenema").one()
    make_case(CaseStatus.INVESTIGATING, text=TEXT, region="eastern", district=kenema,
              created_at=clock.now - dt.timedelta(days=2))
    first, second = (make_case(CaseStatus.RECEIVED, text=TEXT, region="eastern", district=kenema,
                               created_at=clock.now - ago) for ago in (dt.timedelta(hours=1), dt.timedelta(0)))
    for case in (first, second):
        queue_relation_proposals(case)
    db.session.commit()
    first_id, second_id = first.id, second.id
    errors: list[str | None] = []
    event.listen(db.engine, "handle_error",
                 lambda context: errors.append(getattr(context.original_exception, "sqlstate", None)))
    follow_up_holds, go_on, proposed = threading.Event(), threading.Event(), threading.Event()
    pids: list[int] = []

    def follow_ups() -> None:
        with app.app_context():
            db.session.execute(text("SET LOCAL deadlock_timeout = '10s'; SET LOCAL lock_timeout = '10s'"))
            pids.append(db.session.scalar(text("SELECT pg_backend_pid()")))
            lock_case(second_id)
            follow_up_holds.set()
            go_on.wait(30)
            lock_case(first_id)
            db.session.commit()
            db.session.remove()

    def proposals() -> int:
        with app.app_context():
            try:
                db.session.execute(text("SET LOCAL deadlock_timeout = '10ms'; SET LOCAL lock_timeout = '10s'"))
                return propose_queued_relations()
            finally:
                proposed.set()
                db.session.remove()

    with (db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watcher,
          ThreadPoolExecutor(2) as pool):
        follow_up = pool.submit(follow_ups)
        assert follow_up_holds.wait(10)
        proposing = pool.submit(proposals)
        blocked_or_done(watcher, pids[0], proposed)  # the proposals wait for the follow-up, or are done
        go_on.set()
        follow_up.result(timeout=30)
        assert proposing.result(timeout=30) == 2
    assert errors == []
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(PendingRelationProposal)) == 0
    for case_id in (first_id, second_id):
        related = list(db.session.scalars(select(CaseRelation.related_case_id).where(CaseRelation.case_id == case_id)))
        assert related and len(related) == len(set(related))  # proposed, each pair once
    assert db.session.get(Case, first_id) is not None
    assert verify_chain()[1] is None
