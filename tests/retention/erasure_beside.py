"""An erasure started while another thread (a worker, a hold) is about to run a given statement, on PostgreSQL: the
set-up of the lock-order race tests. The erasure starts on a second thread; the first goes on once the erasure waits
for it (or is done), so that the two meet with the first holding what it had taken before that statement."""
from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from flask import Flask
from sqlalchemy import event

from civicwatch.extensions import db
from civicwatch.retention.erasure import RetentionRun, apply_retention
from tests.patterns.test_patterns_proposals_beside_follow_ups import blocked_or_done

T = TypeVar("T")


@dataclass
class Met(Generic[T]):
    result: T  # what the first thread's work returned
    run: RetentionRun | None  # the erasure's, None when it never started
    blocked: list[bool] = field(default_factory=list)  # [True]: the erasure waited for the first thread
    sqlstates: list[str | None] = field(default_factory=list)  # of every database error meanwhile ("40P01")


def erase_beside(app: Flask, work: Callable[[], T], starts_erasure: Callable[[str], bool]) -> Met[T]:
    """Run `work` in an app context on a thread; once `starts_erasure` is true of a statement that thread is about
    to run, run the retention (apply_retention) on another thread, beside it."""
    erased = threading.Event()
    erasures: list[Future[RetentionRun]] = []
    blocked: list[bool] = []
    sqlstates: list[str | None] = []
    first: list[int] = []

    def erase() -> RetentionRun:
        with app.app_context():
            try:
                return apply_retention(None)
            finally:
                erased.set()
                db.session.remove()

    def run_work() -> T:
        first.append(threading.get_ident())
        with app.app_context():
            try:
                return work()
            finally:
                db.session.remove()

    def record_error(context: Any) -> None:
        sqlstates.append(getattr(context.original_exception, "sqlstate", None))

    with (db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watcher,
          ThreadPoolExecutor(2) as pool):
        def before_cursor_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if erasures or threading.get_ident() not in first or not starts_erasure(statement):
                return
            erasures.append(pool.submit(erase))
            blocked.append(blocked_or_done(watcher, cursor.connection.info.backend_pid, erased))

        event.listen(db.engine, "handle_error", record_error)
        event.listen(db.engine, "before_cursor_execute", before_cursor_execute)
        try:
            result = pool.submit(run_work).result(timeout=60)
            run = erasures[0].result(timeout=60) if erasures else None
        finally:
            event.remove(db.engine, "before_cursor_execute", before_cursor_execute)
            event.remove(db.engine, "handle_error", record_error)
    return Met(result, run, blocked, sqlstates)
