"""An entry whose stored values cannot be read back (a time put there with SQL that no writer produces) must not
take the audit pages down for every reader: the other entries are shown, with a notice naming the one that could
not be read. SQLite and PostgreSQL."""
from __future__ import annotations

from sqlalchemy import select, text

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.audit.operations import record_audit
from civicwatch.extensions import db
from tests.factories import staff_client


def test_the_log_is_shown_around_an_entry_that_cannot_be_read(app, make_user):
    client = staff_client(app, make_user(Role.AUDITOR))
    for action in ("test.before", "test.unreadable", "test.after"):
        record_audit(None, action)
        db.session.commit()
    target = db.session.scalar(select(AuditEntry.seq).where(AuditEntry.action == "test.unreadable"))
    db.session.execute(text("UPDATE audit_entries SET created_at = 'infinity' WHERE seq = :seq"), {"seq": target})
    db.session.commit()
    response = client.get("/staff/audit/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "test.before" in page and "test.after" in page
    assert f"Entry {target} could not be read" in page and "audit verify" in page
