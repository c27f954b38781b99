"""Appending to the hash-chained audit log, in the caller's transaction."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

from sqlalchemy import event, inspect, select, text
from sqlalchemy.orm import Session, SessionTransaction

from civicwatch.audit.anchor import note_audit_written
from civicwatch.audit.models import AuditEntry
from civicwatch.audit.values import recordable
from civicwatch.crypto import derived_key
from civicwatch.database import utcnow
from civicwatch.extensions import db

GENESIS_HASH = "0" * 64
# Any constant works; it only has to be the same for every writer of the chain.
_CHAIN_LOCK_ID = 727_011
_TIP_KEY = "civicwatch.audit_tip"


def chain_key() -> bytes:
    """The chain is keyed with a secret kept outside the database: write access alone cannot re-forge it."""
    return derived_key("audit-chain")


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


def _chain_tip() -> tuple[int, str]:
    """The (seq, hash) the next entry links to. Read once per transaction, under the chain's lock: later entries
    of the same transaction link to the one before, which only this transaction can have written."""
    session = db.session()
    known = session.info.get(_TIP_KEY)
    if known is not None:
        seq, digest, entry = known
        # An entry written in a savepoint that was rolled back is expunged with it: the tip is read again.
        if inspect(entry).persistent or entry in session.new:
            return seq, digest
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        # Held until the transaction ends.
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _CHAIN_LOCK_ID})
    elif not session.connection().connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        # SQLite's one writer serialises the chain, but only from this transaction's first write: take the
        # write lock before reading the tip, or another writer may append after it was read.
        session.execute(text("UPDATE audit_entries SET seq = seq WHERE 1 = 0"))
    tip = session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
    return (tip.seq, tip.hash) if tip else (0, GENESIS_HASH)


@event.listens_for(Session, "after_transaction_end")
def _forget_tip(session: Session, transaction: SessionTransaction) -> None:
    # At the end of the transaction only: a savepoint released keeps its entries (and the chain's lock), and one
    # rolled back expunges them, which _chain_tip notices.
    if transaction.parent is None:
        session.info.pop(_TIP_KEY, None)


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
) -> AuditEntry:
    """Append one entry: who (a User or None for the system), what, on which object, before and after."""
    last_seq, prev_hash = _chain_tip()
    seq = last_seq + 1
    object_type, object_id = _object_identity(obj)
    case_id = getattr(case, "id", None)
    if case_id is None and object_type == "cases":
        case_id = getattr(obj, "id", None)
    entry = AuditEntry(
        seq=seq,
        created_at=utcnow(),
        user_id=getattr(actor, "id", None),
        action=action,
        object_type=object_type,
        object_id=object_id,
        case_id=case_id,
        before=_jsonable(before),
        after=_jsonable(after),
        prev_hash=prev_hash,
    )
    entry.hash = entry_digest(
        chain_key(), prev_hash, seq, entry.created_at, entry.user_id, action, object_type, object_id,
        case_id, entry.before, entry.after,
    )
    # Inserted by the caller's next flush (or the commit), with whatever else it writes: one flush less each.
    db.session.add(entry)
    db.session.info[_TIP_KEY] = (seq, entry.hash, entry)
    note_audit_written(db.session())
    return entry


def _jsonable(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    kept: dict[str, Any] = recordable(value)
    return kept
