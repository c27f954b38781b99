"""Appending to the hash-chained audit log, in the caller's transaction.

The chain is keyed with CIVICWATCH_AUDIT_KEY, a secret of its own: not the database (write access alone cannot
re-forge the chain) and not the encryption key, which every web process holds and which can be rotated. Chains
begun before that setting were keyed with a key derived from the encryption key (`legacy_chain_key`); the upgrade
that brought the setting sealed them with an `audit.key_switched` entry (SWITCH_ACTION) chained with the new key,
and verification accepts the old key only for the entries before that switch (see queries.chain_breaks)."""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, cast

from flask import current_app
from sqlalchemy import Table, event, insert, inspect, select, text
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from civicwatch.audit.anchor import note_audit_written
from civicwatch.audit.models import AuditEntry
from civicwatch.audit.values import recordable
from civicwatch.crypto import derived_key
from civicwatch.database import touches_table, utcnow, within_transaction
from civicwatch.extensions import db

GENESIS_HASH = "0" * 64
SWITCH_ACTION = "audit.key_switched"
# Any constant works; it only has to be the same for every writer of the chain.
_CHAIN_LOCK_ID = 727_011
_TIP_KEY = "civicwatch.audit_tip"
_PENDING_KEY = "civicwatch.audit_pending"
_AUDIT_TABLE = cast(Table, AuditEntry.__table__)
# Built once: every commit that writes to the log runs them.
_LOCK_AND_TIP = (f"SELECT pg_advisory_xact_lock({_CHAIN_LOCK_ID}); "
                 "SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1")
_TAKE_THE_WRITE_LOCK = text("UPDATE audit_entries SET seq = seq WHERE 1 = 0")
_TIP = select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)


def chain_key() -> bytes:
    """The chain's key, from CIVICWATCH_AUDIT_KEY (kept outside the database, apart from the encryption key)."""
    return _chain_key_from(current_app.config["CIVICWATCH_AUDIT_KEY"])


@functools.lru_cache(maxsize=8)
def _chain_key_from(secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), b"civicwatch-audit-chain", hashlib.sha256).digest()


def legacy_chain_key() -> bytes:
    """The key of the entries chained before CIVICWATCH_AUDIT_KEY existed, derived from the encryption key: good
    only for the entries before the chain's switch entry."""
    return derived_key("audit-chain")


class LegacySeal:
    """A digest, under the chain's key, of the entries before the switch: the switch entry keeps it (`sealed`), so
    that they stay verifiable without the encryption key they were chained with (which may be rotated)."""

    def __init__(self, key: bytes) -> None:
        self.key = key
        self.digests = hashlib.sha256()

    def add(self, prev_hash: str, seq: int, created_at: dt.datetime, user_id: int | None, action: str,
            object_type: str, object_id: str | None, case_id: int | None, before: dict[str, Any] | None,
            after: dict[str, Any] | None) -> None:
        self.digests.update(entry_digest(self.key, prev_hash, seq, created_at, user_id, action, object_type,
                                         object_id, case_id, before, after).encode("ascii"))

    def hexdigest(self) -> str:
        return self.digests.hexdigest()


def entry_digest(
    key: bytes,
    prev_hash: str,
    seq: int,
    created_at: dt.datetime,
    user_id: int | None,
    action: str,
    object_type: str,
    object_id: str | None,
    case_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> str:
    payload = json.dumps(
        {
            "prev": prev_hash,
            "seq": seq,
            "at": created_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "user": user_id,
            "action": action,
            "type": object_type,
            "id": object_id,
            "case": case_id,
            "before": before,
            "after": after,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hmac.new(key, payload.encode("utf-8"), hashlib.sha256).hexdigest()


def _chain_tip(session: Session) -> tuple[int, str]:
    """The (seq, hash) the next entry links to. Read under the chain's lock: later entries of the same
    transaction link to the one before, which only this transaction can have written."""
    known = session.info.get(_TIP_KEY)
    if known is not None:
        seq, digest, entry = known
        # An entry written in a savepoint that was rolled back is expunged with it: the tip is read again. (None:
        # written by the commit under way, which nothing rolls back but the whole transaction.)
        if entry is None or inspect(entry).persistent or entry in session.new:
            return seq, digest
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        return _lock_and_read_tip(session)
    # On the session's connection: the session's execution of a query costs more than the read itself, and the
    # entries it could link first (_link_before_reading_the_log) are the ones being linked.
    connection = session.connection()
    if not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        # SQLite's one writer serialises the chain, but only from this transaction's first write: take the
        # write lock before reading the tip, or another writer may append after it was read.
        connection.execute(_TAKE_THE_WRITE_LOCK)
    tip = connection.execute(_TIP).first()
    return (tip.seq, tip.hash) if tip else (0, GENESIS_HASH)


def _lock_and_read_tip(session: Session) -> tuple[int, str]:
    """PostgreSQL: take the chain's lock (held until the transaction ends), then read the tip, in one round trip:
    the lock is held from there to the commit, and every writer waits behind it. Two statements in one query
    string (no parameters, so the simple protocol): in READ COMMITTED each takes its own snapshot, so the tip is
    read after the lock is granted and sees what the writer it waited for committed."""
    result = session.connection().exec_driver_sql(_LOCK_AND_TIP)
    cursor = result.cursor
    try:
        if not cursor.nextset():
            raise RuntimeError("the audit chain's tip was not read")
        tip = cursor.fetchone()
    finally:
        result.close()
    return (int(tip[0]), str(tip[1])) if tip else (0, GENESIS_HASH)


def _link_pending(session: Session, committing: bool = False) -> None:
    """Give the entries recorded so far their place in the chain and write them (through the session, or at once
    when `committing`). Runs at the transaction's commit, so that the chain's lock (which serialises every writer)
    is held only for the last flush and the commit, not for everything the transaction does after its first entry.

    `committing`: the outermost commit is under way and nothing of the transaction runs after it, so the entries
    are written at once by one INSERT built once, not through the session: a flush's unit of work costs several
    times the statement, and no one reads the entries back through this session."""
    pending: list[_Pending] = session.info.pop(_PENDING_KEY, [])
    if not pending:
        return
    last_seq, prev_hash = _chain_tip(session)
    key = chain_key()
    rows = [item.values for item in pending]
    for row in rows:
        row["seq"] = last_seq = last_seq + 1
        row["prev_hash"] = prev_hash
        row["hash"] = prev_hash = entry_digest(
            key, prev_hash, last_seq, row["created_at"], row["user_id"], row["action"], row["object_type"],
            row["object_id"], row["case_id"], row["before"], row["after"],
        )
    if committing:
        session.connection().execute(_INSERT_ENTRIES, rows)
        session.info[_TIP_KEY] = (last_seq, prev_hash, None)
        return
    entries = [AuditEntry(**row) for row in rows]
    session.add_all(entries)
    session.info[_TIP_KEY] = (last_seq, prev_hash, entries[-1])


_INSERT_ENTRIES = insert(_AUDIT_TABLE)


@dataclass(frozen=True)
class _Pending:
    # An entry's columns but its place in the chain (seq, prev_hash, hash), added when it is linked: a plain dict
    # until then, and for good when the commit writes it (no ORM object: its construction and attribute events
    # cost more than the INSERT's share).
    values: dict[str, Any]
    transaction: SessionTransaction  # where it was recorded: a savepoint rolled back takes it away


@event.listens_for(Session, "before_commit")
def _link_before_commit(session: Session) -> None:
    # A savepoint released keeps its entries pending: they are linked with the outermost commit.
    if not session.in_nested_transaction():
        _link_pending(session, committing=True)


@event.listens_for(Session, "do_orm_execute")
def _link_before_reading_the_log(state: ORMExecuteState) -> None:
    # A query of the log inside the transaction sees the entries recorded so far, as if they had been flushed.
    if state.session.info.get(_PENDING_KEY) and touches_table(state.statement, _AUDIT_TABLE):
        _link_pending(state.session)
        state.session.flush()


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    pending: list[_Pending] | None = session.info.get(_PENDING_KEY)
    if pending:
        pending[:] = [item for item in pending if not within_transaction(item.transaction, previous_transaction)]


@event.listens_for(Session, "after_transaction_end")
def _forget_tip(session: Session, transaction: SessionTransaction) -> None:
    # At the end of the transaction only: a savepoint released keeps its entries (and the chain's lock), and one
    # rolled back expunges them, which _chain_tip notices.
    if transaction.parent is None:
        session.info.pop(_TIP_KEY, None)
        session.info.pop(_PENDING_KEY, None)


def _object_identity(obj: Any) -> tuple[str, str | None]:
    if obj is None:
        return "system", None
    table = getattr(obj, "__tablename__", type(obj).__name__.lower())
    return table, str(getattr(obj, "id", None))


def record_audit(
    actor: Any,
    action: str,
    obj: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    case: Any = None,
) -> None:
    """Append one entry: who (a User or None for the system), what, on which object, before and after.

    The entry is stored with the caller's transaction and linked into the chain when it commits (or when the
    log is read before that); a savepoint rolled back takes its entries with it."""
    object_type, object_id = _object_identity(obj)
    case_id = getattr(case, "id", None)
    if case_id is None and object_type == "cases":
        case_id = getattr(obj, "id", None)
    values = {"created_at": utcnow(), "user_id": getattr(actor, "id", None), "action": action,
              "object_type": object_type, "object_id": object_id, "case_id": case_id, "before": _jsonable(before),
              "after": _jsonable(after)}
    session = db.session()
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    session.info.setdefault(_PENDING_KEY, []).append(_Pending(values, transaction))
    note_audit_written(session)


def _jsonable(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    kept: dict[str, Any] = recordable(value)
    return kept
