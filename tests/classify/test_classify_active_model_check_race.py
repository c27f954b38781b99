"""Two `deliver` workers started together (a deploy: every job runs at a worker's start) both check the audit log
against ACTIVE. When the log names another model, the correction must be written once, not once per worker. Real
database, real threads each with its own app context and session and so its own connection, as two worker
processes would have; their commits are held back until both have read."""
from __future__ import annotations

import threading

from flask import Flask
from sqlalchemy import func, select

from civicwatch.audit.models import AuditEntry
from civicwatch.audit.operations import record_audit
from civicwatch.classify.operations import correct_active_model_log
from civicwatch.classify.registry import active_model_version
from civicwatch.extensions import db
from tests.patterns.test_patterns_two_workers import HeldWriters


def _corrections() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "model.active_corrected")) or 0


def test_two_workers_checking_the_active_model_at_once_correct_the_log_once(app: Flask, clock, database_url):
    assert active_model_version() is None
    # Scene setting: an activation whose process died after its entry's commit, before ACTIVE was switched.
    record_audit(None, "model.activate", None, after={"version": "rollback"})
    db.session.commit()
    clock.advance(minutes=5)
    errors: list[BaseException] = []

    def worker() -> None:
        with app.app_context():
            try:
                correct_active_model_log()
                db.session.commit()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    held = HeldWriters(*database_url)
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        held.wait_for(2)
    finally:
        held.release()
    for thread in threads:
        thread.join(60)
    assert _corrections() == 1, f"worker errors: {errors!r}"
    assert not errors
