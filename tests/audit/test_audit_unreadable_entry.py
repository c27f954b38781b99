"""An entry whose stored values cannot be read back (a time or a value no writer of the log produces, put there
with SQL) is a break `audit verify` names, like any other change; it must not stop the walk with a traceback
that names no entry. SQLite and PostgreSQL."""
from __future__ import annotations

from sqlalchemy import select, text

from civicwatch.audit.models import AuditEntry
from civicwatch.audit.operations import record_audit
from civicwatch.extensions import db


def test_an_entry_that_cannot_be_read_is_named_and_the_rest_checked(app):
    for number in range(5):
        record_audit(None, f"test.{number}")
        db.session.commit()
    target = db.session.execute(select(AuditEntry.id, AuditEntry.seq).order_by(AuditEntry.seq).offset(1).limit(1)).one()
    db.session.execute(text("UPDATE audit_entries SET created_at = 'infinity' WHERE id = :id"), {"id": target.id})
    later = db.session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))
    db.session.execute(text("UPDATE audit_entries SET action = 'test.changed' WHERE seq = :seq"), {"seq": later})
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["civicwatch", "audit", "verify"])
    assert result.exit_code == 1
    assert f"BROKEN at entry {target.seq} (id {target.id}): it cannot be read" in result.output
    assert f"BROKEN at entry {later} " in result.output  # the walk went on past it
