"""The audit log and the ACTIVE file say the same model is active, whatever stopped an activation half-way.

ACTIVE is a file beside the models (every host reads it), the audit log is in the database: no transaction holds
both. The activation commits its audit entry, then replaces ACTIVE; a process killed between the two left the log
saying a model is active that never was, for good. The `deliver` worker checks the two at start and every hour: a
log that names another model than ACTIVE gets an entry saying which model is really active."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from flask import Flask
from sqlalchemy import event, select

from civicwatch.audit.models import AuditEntry
from civicwatch.classify.registry import active_model_version
from civicwatch.extensions import db
from tests.classify.test_classify_activation import first, run  # noqa: F401  (the fixture: one trained model)

KILLED = 17


def activate_and_die_after_the_commit(app: Flask, version: str) -> None:
    """`civicwatch activate VERSION` in a child process that dies the instant the database has its commit."""
    db.session.close()
    pid = os.fork()
    if pid == 0:
        try:
            db.engine.dispose(close=False)
            event.listen(db.session, "after_commit", lambda session: os._exit(KILLED))
            run(app, "activate", version)
        finally:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == KILLED


def entries(action: str) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_an_activation_killed_after_its_audit_entry_is_corrected_in_the_log(app: Flask, first: str,  # noqa: F811
                                                                            clock) -> None:
    root = Path(app.config["MODEL_DIR"])
    shutil.copytree(root / first, root / "rollback")

    activate_and_die_after_the_commit(app, "rollback")

    assert active_model_version() == first  # the switch never happened...
    assert [e.after for e in entries("model.activate")] == [{"version": "rollback"}]  # ...the log says it did
    clock.advance(minutes=5)
    result = run(app, "deliver", "--once")
    assert result.exit_code == 0, result.output
    (corrected,) = entries("model.active_corrected")
    assert corrected.before == {"version": "rollback"} and corrected.after == {"version": first}
    assert "rollback" in result.output and first in result.output

    assert run(app, "deliver", "--once").exit_code == 0  # corrected once
    assert len(entries("model.active_corrected")) == 1


def test_a_log_in_step_with_the_active_model_is_left_alone(app: Flask, first: str, clock) -> None:  # noqa: F811
    clock.advance(minutes=5)
    result = run(app, "deliver", "--once")
    assert result.exit_code == 0, result.output
    assert entries("model.active_corrected") == []


def test_an_activation_under_way_is_not_taken_for_a_broken_one(app: Flask, first: str, clock) -> None:  # noqa: F811
    """Another process may be between its commit and its switch this very second: the worker lets it finish."""
    root = Path(app.config["MODEL_DIR"])
    shutil.copytree(root / first, root / "rollback")
    activate_and_die_after_the_commit(app, "rollback")

    assert run(app, "deliver", "--once").exit_code == 0
    assert entries("model.active_corrected") == []
