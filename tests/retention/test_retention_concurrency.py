"""An erasure and a legal hold, or two erasures, of one case at the same moment: the hold either stops the erasure
or is refused because the case is erased already, and one worker erases while the other finds nothing left to do.
The other writer starts while the erasure writes its first row, after it checked the case was still due."""
from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, select

from civicwatch.accounts.models import User
from civicwatch.cases.models import Case, CaseStatus
from civicwatch.errors import ConflictError
from civicwatch.extensions import db
from civicwatch.retention.erasure import RetentionRun, apply_retention
from civicwatch.retention.models import CaseErasure, LegalHold
from civicwatch.retention.operations import place_hold
from tests.retention.conftest import personal_case, schedule

FIRST_WRITE = "INSERT INTO pending_file_removals"


@contextmanager
def meanwhile(app, work: Callable[[], None]) -> Iterator[list[threading.Thread]]:
    """Run `work` in a thread of its own the first time the erasure writes, and give it two seconds to finish
    before the erasure goes on (a writer that has to wait for the erasure's lock waits for its commit)."""
    started: list[threading.Thread] = []

    def in_context() -> None:
        with app.app_context():
            work()

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not started and statement.lstrip().startswith(FIRST_WRITE):
            thread = threading.Thread(target=in_context)
            started.append(thread)
            thread.start()
            thread.join(2)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield started
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
        for thread in started:
            thread.join(20)


def test_a_hold_placed_while_the_case_is_erased_stops_the_erasure_or_is_refused(app, clock, staff):
    case = personal_case(staff)
    case_id, admin_id = case.id, staff.admin.id
    schedule(CaseStatus.CLOSED, 6)
    clock.now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    outcome: list[str] = []

    def hold() -> None:
        try:
            place_hold(db.session.get_one(User, admin_id), db.session.get_one(Case, case_id), "Court order 7/2026")
            db.session.commit()
            outcome.append("held")
        except ConflictError:
            db.session.rollback()
            outcome.append("refused")

    with meanwhile(app, hold) as started:
        run = apply_retention(None)
    assert started and outcome, "the hold was never tried"
    db.session.expire_all()
    erased = db.session.get_one(Case, case_id).erased
    held = db.session.scalar(select(LegalHold).where(LegalHold.case_id == case_id)) is not None
    assert (erased, held, outcome) in ((True, False, ["refused"]), (False, True, ["held"])), (erased, held, run)


def test_two_workers_erasing_at_once_erase_the_case_once_and_neither_fails(app, clock, staff):
    case = personal_case(staff)
    schedule(CaseStatus.CLOSED, 6)
    clock.now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    runs: list[RetentionRun] = []

    with meanwhile(app, lambda: runs.append(apply_retention(None))):
        runs.append(apply_retention(None))
    assert len(runs) == 2
    assert sum(run.erased for run in runs) == 1 and sum(run.failed for run in runs) == 0, runs
    assert len(db.session.scalars(select(CaseErasure).where(CaseErasure.case_id == case.id)).all()) == 1
