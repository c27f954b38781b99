"""The check-in job asks a case's check-in (it writes rows of the case, then takes the number's SMS dialogue to wait for
the answer) while the retention run erases that case (it locks the number's dialogue, then the case). Both must take
the two locks in one order, the SMS worker's (dialogue, then case): otherwise each waits for the other, and
PostgreSQL breaks the deadlock by failing one of them."""
from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import event

from civicwatch.cases.models import Case, CaseStatus
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.retention.erasure import RetentionRun, apply_retention
from civicwatch.sms.operations import ask_due_check_ins
from tests.cases.test_case_retaliation_erasure_race import owed_and_due_for_erasure
from tests.conftest import on_postgres
from tests.threads import writes_or_locks


def _touches_the_dialogue(sql: str) -> bool:
    words = " ".join(sql.upper().split())
    return "SMS_CONVERSATIONS" in words and (words.startswith("DELETE") or "FOR UPDATE" in words)


@pytest.mark.postgres_only
@pytest.mark.skipif(not on_postgres(), reason="row locks and their deadlocks are PostgreSQL's")
def test_a_check_in_asked_while_its_case_is_erased_does_not_deadlock(app, clock):
    case_id = owed_and_due_for_erasure(clock, CaseStatus.RESPONDED).id
    runs: list[RetentionRun] = []
    asked: list[int] = []
    errors: list[str] = []
    erasure_waits = threading.Event()

    def erase() -> None:
        threading.current_thread().name = "erasure"
        with app.app_context():
            runs.append(apply_retention(None))

    def before(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        if threading.current_thread().name == "erasure" and _touches_the_dialogue(sql):
            erasure_waits.set()

    def after(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        if threading.current_thread().name == "job" and writes_or_locks(sql) and not erasure_waits.is_set():
            # The job has taken its first lock: the erasure starts now, and the job goes on once the erasure has
            # reached the dialogue (and waits for it, or holds it and then waits for the case).
            threading.Thread(target=erase).start()
            erasure_waits.wait(10)
            time.sleep(0.5)

    def failed(context: Any) -> None:
        errors.append(str(context.original_exception))

    def work() -> None:
        threading.current_thread().name = "job"
        with app.app_context():
            asked.append(ask_due_check_ins(utcnow()))
            db.session.commit()

    event.listen(db.engine, "before_cursor_execute", before)
    event.listen(db.engine, "after_cursor_execute", after)
    event.listen(db.engine, "handle_error", failed)
    try:
        job = threading.Thread(target=work)
        job.start()
        job.join(60)
        for _ in range(120):
            if runs:
                break
            time.sleep(0.5)
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
        event.remove(db.engine, "after_cursor_execute", after)
        event.remove(db.engine, "handle_error", failed)

    assert erasure_waits.is_set(), "the erasure did not run while the job held its first lock"
    assert not [error for error in errors if "deadlock" in error.lower()], errors
    assert [(run.erased, run.failed) for run in runs] == [(1, 0)]
    assert asked == [1]  # the job held the dialogue first: it asked, and the erasure came after
    db.session.expire_all()
    assert db.session.get_one(Case, case_id).erased
