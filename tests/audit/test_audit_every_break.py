"""`audit verify` walks the whole log and names every broken entry, not only the first: an entry changed once
(and so broken for good, since nobody can restore what it said) must not hide what is changed later."""
from __future__ import annotations

import re

from sqlalchemy import select, text

from civicwatch.audit.models import AuditEntry
from civicwatch.audit.operations import record_audit
from civicwatch.extensions import db


def _entries(count: int) -> list[int]:
    for number in range(count):
        record_audit(None, f"test.{number}")
        db.session.commit()
    return list(db.session.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)))


def _verify(app) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["civicwatch", "audit", "verify"])
    return result.exit_code, result.output


def _named(output: str) -> list[tuple[int, str]]:
    return [(int(seq), reason) for seq, reason in re.findall(r"BROKEN at entry (\d+) \(id \d+\): (.*?)\.$", output, re.M)]


def test_a_later_change_is_named_after_an_earlier_break(app):
    seqs = _entries(8)
    db.session.execute(text("UPDATE audit_entries SET action = 'test.first_change' WHERE seq = :seq"),
                       {"seq": seqs[1]})
    db.session.commit()
    code, output = _verify(app)
    assert code == 1 and f"entry {seqs[1]} " in output
    # The first break is known and cannot be undone; later someone changes another entry and deletes a third.
    db.session.execute(text("UPDATE audit_entries SET user_id = NULL, action = 'test.hidden' WHERE seq = :seq"),
                       {"seq": seqs[4]})
    db.session.execute(text("DELETE FROM audit_entries WHERE seq = :seq"), {"seq": seqs[6]})
    db.session.commit()
    code, output = _verify(app)
    assert code == 1
    assert _named(output) == [
        (seqs[1], "its content was changed after it was written"),
        (seqs[4], "its content was changed after it was written"),
        (seqs[7], f"entry {seqs[6]} is missing"),
    ]
    assert f"{len(seqs) - 1} entries checked, 3 broken" in output


def test_entries_swapped_are_each_named_once(app):
    seqs = _entries(5)
    db.session.execute(text("UPDATE audit_entries SET seq = -seq WHERE seq IN (:a, :b)"), {"a": seqs[1], "b": seqs[2]})
    db.session.execute(text("UPDATE audit_entries SET seq = :b WHERE seq = :a"), {"a": -seqs[1], "b": seqs[2]})
    db.session.execute(text("UPDATE audit_entries SET seq = :a WHERE seq = :b"), {"a": seqs[1], "b": -seqs[2]})
    db.session.commit()
    code, output = _verify(app)
    assert code == 1
    # The one after them no longer follows the entry before it either.
    assert [seq for seq, _ in _named(output)] == [seqs[1], seqs[2], seqs[3]]
