"""`flask civicwatch audit verify`: intact chain exits 0; a row changed with raw SQL is named, exit code 1."""
from __future__ import annotations

from sqlalchemy import select, text

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.extensions import db


def test_verify_passes_then_names_the_tampered_entry(app, make_user):
    make_user(Role.TRIAGE)
    make_user(Role.INVESTIGATOR)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["civicwatch", "audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "Audit log intact" in result.output
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert len(entries) >= 3
    target = entries[1]
    db.session.execute(text("UPDATE audit_entries SET action = 'user.nothing_to_see' WHERE id = :id"),
                       {"id": target.id})
    db.session.commit()
    result = runner.invoke(args=["civicwatch", "audit", "verify"])
    assert result.exit_code == 1
    assert f"BROKEN at entry {target.seq} (id {target.id})" in result.output
    assert "content was changed" in result.output


def test_a_deleted_entry_is_found(app, make_user):
    make_user(Role.TRIAGE)
    make_user(Role.AUDITOR)
    seqs = db.session.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)).all()
    db.session.execute(text("DELETE FROM audit_entries WHERE seq = :seq"), {"seq": seqs[1]})
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["civicwatch", "audit", "verify"])
    assert result.exit_code == 1 and f"entry {seqs[1]} is missing" in result.output
