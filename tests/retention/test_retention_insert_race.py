"""An erasure beside a transaction that has inserted a row referring to the case but not committed it (PostgreSQL):
the deliver worker queueing a WhatsApp session template for a held text (messaging.whatsapp), a notice to the
complainant, none of which locks the case. The erasure must wait for that transaction and erase what it wrote:
otherwise the row is committed after the erasure's DELETE and outlives it (a text with the number, owed to a case
whose number is erased)."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage
from civicwatch.messaging.operations import queue_sms
from civicwatch.retention.erasure import RetentionRun, apply_retention
from tests.conftest import on_postgres
from tests.patterns.test_patterns_proposals_beside_follow_ups import blocked_or_done
from tests.retention.conftest import PHONE, due_for_erasure


@pytest.mark.postgres_only
@pytest.mark.skipif(not on_postgres(), reason="row locks are PostgreSQL's")
def test_a_text_queued_for_the_case_while_it_is_erased_does_not_outlive_the_erasure(app, clock, staff):
    case = due_for_erasure(staff, clock)
    case_id = case.id
    db.session.execute(text("SET LOCAL lock_timeout = '20s'"))
    pid = db.session.scalar(text("SELECT pg_backend_pid()"))
    queue_sms(PHONE, "Your case has news: reply to this text.", "status", case_id)
    db.session.flush()  # inserted, the case's row checked for key share, not committed
    done = threading.Event()

    def erase() -> RetentionRun:
        with app.app_context():
            try:
                return apply_retention(None)
            finally:
                done.set()
                db.session.remove()

    with (db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watcher,
          ThreadPoolExecutor(1) as pool):
        erasing = pool.submit(erase)
        blocked_or_done(watcher, pid, done)  # the erasure waits for this transaction, or is done
        db.session.commit()
        assert erasing.result(timeout=30).erased == 1

    db.session.expire_all()
    assert db.session.get_one(Case, case_id).erased
    left = db.session.scalar(select(func.count()).select_from(OutboundMessage)
                             .where(OutboundMessage.case_id == case_id))
    assert left == 0, "a text queued for the case outlived its erasure"
