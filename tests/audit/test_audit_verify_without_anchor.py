"""With the anchor file turned off (CIVICWATCH_AUDIT_ANCHOR_FILE empty), `audit verify` cannot see entries deleted
from the end of the log: it must say so, and print the tip to compare with copies kept elsewhere, instead of
calling a truncated log intact without a word."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from civicwatch.audit.models import AuditEntry
from civicwatch.audit.operations import record_audit
from civicwatch.extensions import db


@pytest.fixture
def app_config(app_config):
    app_config["AUDIT_ANCHOR_FILE"] = ""
    return app_config


def test_verify_without_an_anchor_says_what_it_cannot_see(app):
    for number in range(3):
        record_audit(None, f"test.{number}")
        db.session.commit()
    newest = db.session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))
    db.session.execute(delete(AuditEntry).where(AuditEntry.seq == newest))
    db.session.commit()
    tip = db.session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).one()
    result = app.test_cli_runner().invoke(args=["civicwatch", "audit", "verify"])
    assert result.exit_code == 0  # nothing it can check is broken
    assert f"{tip.seq} entries verified" in result.output
    assert "no anchor file" in result.output and "deleted from the end" in result.output
    assert f"{tip.seq} {tip.hash}" in result.output
