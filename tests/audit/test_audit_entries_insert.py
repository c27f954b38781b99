"""A transaction's audit entries go to the database in one statement. On PostgreSQL it keeps to psycopg's 50
parameters whatever the number of entries (past them psycopg parses the statement again every time it runs),
and the entries read back as they were recorded, linked in order."""
from __future__ import annotations

from itertools import pairwise
from typing import Any

from sqlalchemy import event, select, text

from civicwatch.audit.models import AuditEntry
from civicwatch.audit.operations import record_audit
from civicwatch.audit.queries import verify_chain
from civicwatch.audit.values import recordable
from civicwatch.extensions import db
from tests.conftest import on_postgres

ENTRIES = 40


def _record_many() -> None:
    for number in range(ENTRIES):
        record_audit(None, "test.many", before=None if number % 2 else {"n": number, "text": "é ∑"},
                     after={"n": number, "list": [number, None]} if number % 3 else None)


def test_a_transactions_entries_in_one_statement_of_few_parameters(app):
    inserts: list[Any] = []

    def watch(_conn: object, _cursor: object, statement: str, parameters: Any, _context: object,
              executemany: bool) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_ENTRIES"):
            inserts.append(parameters)

    _record_many()
    event.listen(db.engine, "before_cursor_execute", watch)
    try:
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", watch)
    assert len(inserts) == 1
    if on_postgres():
        assert len(inserts[0]) <= 50


def test_entries_read_back_as_recorded_and_linked_in_order(app):
    _record_many()
    db.session.commit()
    entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "test.many")
                                      .order_by(AuditEntry.id)))
    assert [entry.before for entry in entries] == [
        None if number % 2 else recordable({"n": number, "text": "é ∑"}) for number in range(ENTRIES)]
    assert [entry.after for entry in entries] == [
        {"n": number, "list": [number, None]} if number % 3 else None for number in range(ENTRIES)]
    seqs = [entry.seq for entry in entries]
    assert seqs == list(range(seqs[0], seqs[0] + ENTRIES))
    assert all(later.prev_hash == earlier.hash for earlier, later in pairwise(entries))
    assert verify_chain()[1] is None


def test_no_value_is_stored_as_json_null_as_the_orm_did(app):
    record_audit(None, "test.none")
    db.session.commit()
    stored = db.session.execute(text(
        "SELECT before IS NULL, after IS NULL FROM audit_entries WHERE action = 'test.none'")).one()
    assert tuple(stored) == (False, False)
