"""`audit verify` on a long log says how far it has got (on stderr, so the verdict stays the last line): a walk of
millions of entries takes minutes, and an operator must be able to tell it from a hung command."""
from __future__ import annotations

from sqlalchemy import func, select

from civicwatch.audit.models import AuditEntry
from civicwatch.audit.operations import record_audit
from civicwatch.extensions import db


def test_verify_reports_its_progress(app):
    for number in range(5):
        record_audit(None, f"test.{number}")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["civicwatch", "audit", "verify", "--progress-every", "2"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    total = db.session.scalar(select(func.count()).select_from(AuditEntry))
    assert [line for line in lines if line.endswith("entries checked so far...")] == [
        f"{count} entries checked so far..." for count in range(2, total + 1, 2)]
    assert lines[-1].startswith("Audit log intact")


def test_progress_can_be_turned_off(app):
    record_audit(None, "test.one")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["civicwatch", "audit", "verify", "--progress-every", "0"])
    assert result.exit_code == 0 and "so far" not in result.output
