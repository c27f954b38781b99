"""The copies of the tip kept outside the database: append-only, never moved past a broken chain, bound to
their database, and required by `audit verify`."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, select

from civicwatch.audit.anchor import Anchor, anchor_history, anchor_path, read_anchor, write_anchor
from civicwatch.audit.models import AuditEntry
from civicwatch.audit.operations import record_audit
from civicwatch.audit.queries import verify_chain
from civicwatch.extensions import db


def _entries(count: int, prefix: str = "test") -> None:
    for number in range(count):
        record_audit(None, f"{prefix}.{number}")
        db.session.commit()


def _verify_exit_code(app) -> int:
    return app.test_cli_runner().invoke(args=["civicwatch", "audit", "verify"]).exit_code


def _tip() -> int:
    return db.session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1)) or 0


def test_every_committed_tip_is_appended(app):
    start = _tip()
    _entries(3)
    history = list(anchor_history())
    assert [a.seq for a in history][-3:] == [start + 1, start + 2, start + 3]
    first = db.session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == 1))
    assert {a.database for a in history} == {first}
    assert read_anchor() == history[-1]


def test_truncation_stays_visible_after_new_entries(app):
    _entries(3)
    tip = _tip()
    db.session.execute(delete(AuditEntry).where(AuditEntry.seq == tip))
    db.session.commit()
    _entries(4, prefix="later")  # a new entry re-uses the deleted number and the chain goes past the anchor
    assert read_anchor().seq == tip  # the anchor did not move past the truncated chain
    checked, broken = verify_chain()
    assert broken is not None and broken.seq == tip and "outside the database" in broken.reason
    assert _verify_exit_code(app) == 1


def test_a_missing_anchor_file_fails_verification(app):
    _entries(2)
    assert verify_chain()[1] is None
    Path(anchor_path()).unlink()
    checked, broken = verify_chain()
    assert broken is not None and "missing" in broken.reason
    assert _verify_exit_code(app) == 1


def test_an_anchor_of_another_database_fails_verification(app):
    _entries(2)
    write_anchor(Anchor(_tip() + 1, "f" * 64, "another database's first entry"))
    _entries(1)
    checked, broken = verify_chain()
    assert broken is not None and "another audit log" in broken.reason


def test_a_log_replaced_from_the_start_is_caught(app):
    _entries(2)
    db.session.execute(delete(AuditEntry))
    db.session.commit()
    anchored = read_anchor().seq
    _entries(anchored + 3, prefix="forged")
    assert read_anchor().seq == anchored
    assert verify_chain()[1] is not None


def test_each_process_anchors_at_most_once_per_interval(app, clock):
    app.config["AUDIT_ANCHOR_INTERVAL_SECONDS"] = 60
    _entries(1)
    anchored = read_anchor().seq
    assert anchored == _tip()
    _entries(2)  # within the interval: only the database has them
    assert read_anchor().seq == anchored
    clock.advance(seconds=61)
    _entries(1)
    assert read_anchor().seq == _tip() == anchored + 3
    _entries(1)
    result = app.test_cli_runner().invoke(args=["civicwatch", "audit", "anchor", "--write"])
    assert result.exit_code == 0 and read_anchor().seq == _tip()  # e.g. from cron, whatever the interval
    assert verify_chain()[1] is None
