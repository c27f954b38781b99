"""The chain's tip is read once per transaction and kept through savepoints: an entry of a released savepoint is
linked to, one of a savepoint rolled back is not (the tip is read again), and the chain stays unbroken."""
from __future__ import annotations

from sqlalchemy import event, select

from civicwatch.audit.models import AuditEntry
from civicwatch.audit.operations import record_audit
from civicwatch.audit.queries import verify_chain
from civicwatch.extensions import db


def _chain() -> list[tuple[int, str, str]]:
    return [tuple(row) for row in db.session.execute(
        select(AuditEntry.seq, AuditEntry.action, AuditEntry.prev_hash).order_by(AuditEntry.seq))]


def test_entries_around_savepoints_link_to_what_was_kept(app):
    record_audit(None, "test.outer")
    kept = db.session.begin_nested()
    record_audit(None, "test.kept")
    kept.commit()
    undone = db.session.begin_nested()
    record_audit(None, "test.undone")
    undone.rollback()
    record_audit(None, "test.after")
    db.session.commit()
    actions = [action for _, action, _ in _chain()]
    assert actions[-3:] == ["test.outer", "test.kept", "test.after"] and "test.undone" not in actions
    assert verify_chain()[1] is None


def test_after_a_released_savepoint_the_tip_is_not_read_again(app):
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    record_audit(None, "test.outer")
    db.session.flush()
    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        savepoint = db.session.begin_nested()
        record_audit(None, "test.inner")
        savepoint.commit()
        record_audit(None, "test.after")
        db.session.flush()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    db.session.commit()
    assert not [s for s in statements if "FROM audit_entries" in s or "advisory" in s], statements
    assert verify_chain()[1] is None
