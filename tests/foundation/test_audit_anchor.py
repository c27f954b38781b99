from sqlalchemy import delete, select

from civicwatch.audit.anchor import read_anchor
from civicwatch.audit.models import AuditEntry
from civicwatch.audit.operations import record_audit
from civicwatch.audit.queries import verify_chain
from civicwatch.extensions import db


def tip() -> tuple[int, str]:
    row = db.session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).one()
    return row.seq, row.hash


def test_the_committed_tip_is_anchored_outside_the_database(app):
    record_audit(None, "test.one")
    db.session.commit()
    anchor = read_anchor()
    assert (anchor.seq, anchor.hash) == tip()


def test_an_entry_rolled_back_in_a_savepoint_is_never_anchored(app):
    record_audit(None, "test.kept")
    db.session.commit()
    kept = tip()
    savepoint = db.session.begin_nested()
    record_audit(None, "test.discarded")
    savepoint.rollback()
    db.session.commit()
    assert (read_anchor().seq, read_anchor().hash) == kept
    assert verify_chain()[1] is None


def test_deleting_the_newest_entry_breaks_verification(app):
    for i in range(3):
        record_audit(None, f"test.{i}")
    db.session.commit()
    last_seq = tip()[0]
    db.session.execute(delete(AuditEntry).where(AuditEntry.seq == last_seq))
    db.session.commit()
    checked, broken = verify_chain()
    assert broken is not None and "deleted" in broken.reason
    result = app.test_cli_runner().invoke(args=["civicwatch", "audit", "verify"])
    assert result.exit_code == 1


def test_anchor_command_prints_the_tip(app):
    record_audit(None, "test.anchor")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["civicwatch", "audit", "anchor"])
    seq, digest = tip()
    assert result.output.strip() == f"{seq} {digest}"
