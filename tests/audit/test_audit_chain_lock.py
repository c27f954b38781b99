"""The chain's lock (PostgreSQL's advisory lock, SQLite's write lock) is taken when a transaction commits, not
when it records its first entry: a transaction still at work does not hold up other writers, and one that
fails after taking the lock lets the next writer through. SQLite and PostgreSQL."""
from __future__ import annotations

import threading

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from civicwatch.audit.models import AuditEntry
from civicwatch.audit.operations import record_audit
from civicwatch.audit.queries import verify_chain
from civicwatch.extensions import db
from civicwatch.taxonomy.cache import VERSION_SETTING
from civicwatch.taxonomy.models import Setting

WAIT_SECONDS = 20  # a bound on a writer that would never get through, not a pause


def _commit_in_thread(app: Flask, action: str, failures: list[BaseException]) -> threading.Thread:
    def write() -> None:
        try:
            with app.app_context():
                record_audit(None, action)
                db.session.commit()
        except BaseException as exc:  # shown by the test's assertion
            failures.append(exc)
    thread = threading.Thread(target=write)
    thread.start()
    return thread


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def test_a_transaction_at_work_does_not_hold_up_another_writer(app: Flask):
    record_audit(None, "test.still_at_work")
    db.session.flush()
    failures: list[BaseException] = []
    other = _commit_in_thread(app, "test.committed_meanwhile", failures)
    other.join(WAIT_SECONDS)
    finished = not other.is_alive()
    db.session.commit()  # lets a writer stuck behind this transaction finish either way
    other.join(WAIT_SECONDS)
    assert finished and failures == []
    assert _actions()[-2:] == ["test.committed_meanwhile", "test.still_at_work"]
    assert verify_chain()[1] is None


def test_a_transaction_that_fails_holding_the_lock_lets_the_next_writer_through(app: Flask):
    record_audit(None, "test.failed")
    assert "test.failed" in _actions()  # reading the log links the entry: the lock is held from here
    db.session.add(Setting(key=VERSION_SETTING, value="a second row with a taken key"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    failures: list[BaseException] = []
    other = _commit_in_thread(app, "test.next", failures)
    other.join(WAIT_SECONDS)
    assert not other.is_alive() and failures == []
    actions = _actions()
    assert actions[-1] == "test.next" and "test.failed" not in actions
    assert verify_chain()[1] is None


def test_the_log_read_inside_the_transaction_shows_what_it_recorded(app: Flask):
    record_audit(None, "test.first")
    record_audit(None, "test.second")
    assert _actions()[-2:] == ["test.first", "test.second"]
    record_audit(None, "test.third")
    db.session.commit()
    assert _actions()[-3:] == ["test.first", "test.second", "test.third"]
    assert verify_chain()[1] is None
