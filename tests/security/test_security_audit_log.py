"""The audit log: no web route can change it, and `flask civicwatch audit verify` catches tampering done
directly in the database by someone who got write access to it.
"""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, select, update

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.audit.operations import entry_digest
from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from tests.factories import staff_client
from tests.security.conftest import build_path, page_token, place_case, send_report


@pytest.fixture
def history(app, make_user):
    """A few real entries: submissions, sign-ins, case views and a note."""
    admin = make_user(Role.ADMIN)
    investigator = make_user(Role.INVESTIGATOR, body="police_oversight")
    reported = [send_report(app, f"audit-{i}") for i in range(3)]
    place_case(reported[0].case_id, "police_oversight", CaseStatus.INVESTIGATING)
    staff = staff_client(app, investigator)
    staff.get(f"/staff/cases/{reported[0].case_id}")
    admin_client = staff_client(app, admin)
    admin_client.get(f"/staff/audit/cases/{reported[0].case_id}")
    count = db.session.query(AuditEntry).count()
    assert count >= 8
    return admin_client, reported


def verify(app):
    result = app.test_cli_runner().invoke(args=["civicwatch", "audit", "verify"])
    return result.exit_code, result.output


def entries() -> list[tuple]:
    return [(e.seq, e.hash, e.action, e.before, e.after, e.user_id, e.case_id)
            for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq))]


def test_the_untouched_log_verifies(app, history):
    code, output = verify(app)
    assert code == 0, output
    assert "intact" in output


def test_no_route_writes_to_the_audit_log(app, history):
    admin_client, reported = history
    audit_rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/staff/audit")]
    assert audit_rules
    for rule in audit_rules:
        assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule.rule
    before = entries()
    token = page_token(admin_client)
    values = {"case_id": reported[0].case_id, "user_id": 1}
    for rule in audit_rules:
        path = build_path(rule, values)
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            response = admin_client.open(path, method=method, data={"csrf_token": token, "action": "x",
                                                                     "seq": "1", "hash": "0" * 64})
            assert response.status_code in (400, 403, 404, 405), (method, path, response.status_code)
    after = entries()
    assert after[: len(before)] == before  # reading appends "audit.view_*" entries; nothing old changes
    assert verify(app)[0] == 0


def _entry(seq: int) -> AuditEntry:
    return db.session.scalar(select(AuditEntry).where(AuditEntry.seq == seq))


def _tamper(statement) -> None:
    db.session.execute(statement)
    db.session.commit()
    db.session.expire_all()


@pytest.mark.parametrize("change", ["after", "action", "user", "time", "case"])
def test_editing_an_entry_in_the_database_is_detected(app, history, change):
    seq = 3
    values = {
        "after": {"after": {"reference": "CW-2000-000001", "channel": "web"}},
        "action": {"action": "case.nothing_happened"},
        "user": {"user_id": None},
        "time": {"created_at": _entry(seq).created_at - dt.timedelta(days=30)},
        "case": {"case_id": None if _entry(seq).case_id else history[1][0].case_id},
    }[change]
    if change == "user" and _entry(seq).user_id is None:
        values = {"user_id": db.session.scalar(select(AuditEntry.user_id).where(AuditEntry.user_id.is_not(None)))}
    _tamper(update(AuditEntry).where(AuditEntry.seq == seq).values(**values))
    code, output = verify(app)
    assert code == 1
    assert f"entry {seq}" in output


def test_deleting_an_entry_in_the_middle_is_detected(app, history):
    _tamper(delete(AuditEntry).where(AuditEntry.seq == 4))
    code, output = verify(app)
    assert code == 1 and "entry 4" in output


def test_swapping_two_entries_is_detected(app, history):
    first, second = _entry(2), _entry(3)
    a, b = (first.action, first.after), (second.action, second.after)
    _tamper(update(AuditEntry).where(AuditEntry.seq == 2).values(action=b[0], after=b[1]))
    _tamper(update(AuditEntry).where(AuditEntry.seq == 3).values(action=a[0], after=a[1]))
    assert verify(app)[0] == 1


def test_rewriting_history_and_recomputing_the_chain_is_detected(app, history):
    rows = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
    prev = rows[1].hash
    for entry in rows[2:]:
        after = {"forged": True} if entry.seq == 3 else entry.after
        # The attacker can write to the database and knows the algorithm, but not the key.
        digest = entry_digest(b"guessed key", prev, entry.seq, entry.created_at, entry.user_id, entry.action, entry.object_type,
                              entry.object_id, entry.case_id, entry.before, after)
        _tamper(update(AuditEntry).where(AuditEntry.seq == entry.seq).values(after=after, prev_hash=prev,
                                                                             hash=digest))
        prev = digest
    assert verify(app)[0] == 1


def test_deleting_the_newest_entries_is_detected(app, history):
    last = db.session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))
    _tamper(delete(AuditEntry).where(AuditEntry.seq > last - 3))
    assert verify(app)[0] == 1
