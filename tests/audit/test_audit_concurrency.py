"""Several writers append to the audit chain at once: every entry is kept, in one unbroken chain (no two
entries link to the same predecessor), on SQLite and PostgreSQL."""
from __future__ import annotations

import threading

from flask import Flask
from sqlalchemy import func, select

from civicwatch.audit.models import AuditEntry
from civicwatch.audit.operations import record_audit
from civicwatch.audit.queries import verify_chain
from civicwatch.extensions import db
from tests.threads import run_together

WRITERS = 4
ENTRIES = 6


def _write(app: Flask, number: int, start: threading.Barrier, failures: list[BaseException]) -> None:
    try:
        with app.app_context():
            start.wait()
            for entry in range(ENTRIES):
                record_audit(None, f"test.writer{number}.{entry}")
                if entry % 2:  # some transactions hold two entries
                    record_audit(None, f"test.writer{number}.{entry}.second")
                db.session.commit()
    except BaseException as exc:  # shown by the assertion below
        failures.append(exc)


def test_concurrent_writers_keep_one_unbroken_chain(app: Flask):
    start = threading.Barrier(WRITERS, timeout=30)
    failures: list[BaseException] = []
    run_together(_write, [(app, number, start, failures) for number in range(WRITERS)], timeout=60)
    assert failures == []
    written = db.session.scalar(select(func.count()).where(AuditEntry.action.startswith("test.writer")))
    assert written == WRITERS * (ENTRIES + ENTRIES // 2)
    total, predecessors = db.session.execute(select(func.count(), func.count(func.distinct(AuditEntry.prev_hash)))).one()
    assert predecessors == total  # no fork: each entry follows a different one
    checked, broken = verify_chain()
    assert broken is None and checked == total
