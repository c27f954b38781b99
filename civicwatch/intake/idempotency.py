"""Idempotency keys: a submission retried (a response lost to a crash, a double click, a client's retry) finds
the case stored the first time instead of making a second one that nobody holds the receipt of.

The web form carries an unguessable key in a hidden field, made when the form is shown; an Open311 client
sends its own, which counts only with its api_key. The database keeps a keyed hash of the key (unique: two
concurrent retries cannot both store a case) and, for RECEIPT_WINDOW, the receipt encrypted under the key.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from flask import current_app
from sqlalchemy import Table, and_, bindparam, insert, literal_column, select, update
from sqlalchemy.exc import IntegrityError

from civicwatch.cases.models import Case
from civicwatch.crypto import DecryptionError, decrypt_text_under, encrypt_text_under, keyed_hash
from civicwatch.database import rollback_quietly, utcnow
from civicwatch.extensions import db
from civicwatch.intake.models import QueuedReport, SubmissionKey
from civicwatch.raw_statements import SingleRowSelect
from civicwatch.taxonomy.cache import VERSION_READ, note_version_read

RECEIPT_WINDOW = dt.timedelta(hours=1)
# Web reports erase expired receipts at most this often in each process (see erase_expired_receipts_when_due).
ERASE_INTERVAL = dt.timedelta(minutes=1)
_ERASED_AT = "civicwatch.receipts_erased_at"
# What a client may send as a key: visible ASCII, long enough to be unguessable if it is random.
KEY_PATTERN = re.compile(r"[\x21-\x7e]{16,200}")
FORM_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{40,60}")
Stored = TypeVar("Stored")


@dataclass(frozen=True)
class IdempotencyKey:
    """A key as one sender holds it: the same value under another scope (another api_key) is another key."""

    scope: str
    value: str

    @property
    def hash(self) -> str:
        return keyed_hash("idempotency_key", f"{self.scope}\n{self.value}")


@dataclass(frozen=True)
class EarlierSubmission:
    """The case a key already stored. `code` is None once the window has passed and the receipt is erased.
    `case_id` is None (and `reference` empty) for a report queued and not filed yet (intake.queue)."""

    case_id: int | None
    reference: str
    code: str | None
    extra: dict[str, Any] = field(default_factory=dict)
    stored_at: dt.datetime | None = None


def new_form_key() -> str:
    return secrets.token_urlsafe(32)


def content_fingerprint(form: Any, names: tuple[str, ...]) -> str:
    """What a form says in its fields `names`, as the form read them (dates parsed, spaces collapsed): the same
    on a retry of an unchanged form, whatever page it was sent again from."""
    return fingerprint([(name, form[name].data) for name in names])


def fingerprint(values: Sequence[tuple[str, object]]) -> str:
    """A digest of named values, each as text with its spaces collapsed (None as empty)."""
    normalised = [(name, " ".join(str(value if value is not None else "").split())) for name, value in values]
    return hashlib.sha256(json.dumps(normalised, ensure_ascii=False).encode("utf-8", "surrogatepass")).hexdigest()


def form_key(value: object, browser: str = "", content: str = "") -> IdempotencyKey | None:
    """The web form's key, or None if the form has none (a page shown before keys existed) or a forged one.

    `browser` is a secret of the browser's session (its CSRF secret): a key copied out of the page is no use
    in another browser, where it is simply a new form. `content` fingerprints what the form says: sent again
    unchanged it is the same report; changed (the text edited after an answer was lost), it is another, stored
    in its turn, and never acknowledged with the first one's receipt while its words go nowhere."""
    if isinstance(value, str) and FORM_KEY_PATTERN.fullmatch(value):
        return IdempotencyKey(f"web\n{browser}", f"{value}\n{content}" if content else value)
    return None


def find_earlier(key: IdempotencyKey, *, outside_transaction: bool = False) -> EarlierSubmission | None:
    """`outside_transaction`: read in autocommit on a connection of its own (raw_statements), for a request that
    writes nothing through the session (a queued web report): no BEGIN, ROLLBACK or ping on PostgreSQL."""
    # Every web report asks once, before anything of its transaction is written: statements built once (the ORM's
    # loading of a SubmissionKey cost more than the statement). The same statement reads the taxonomy's version,
    # which the report's check, classification and routing read next (one round trip).
    if outside_transaction:
        row = _FIND_KEY_OUTSIDE(db.engine, {"key_hash": key.hash})
    else:
        row = db.session.connection().execute(_FIND_KEY, {"key_hash": key.hash}).one()
    note_version_read(row.taxonomy_version)
    if row.id is None:
        return _queued(key, row)
    reference = db.session.scalar(_REFERENCE_OF, {"case_id": row.case_id}) or ""
    sealed = _unseal(key, row) if row.receipt_until and row.receipt_until > utcnow() else None
    if sealed is None:
        return EarlierSubmission(row.case_id, reference, None, stored_at=row.created_at)
    return EarlierSubmission(row.case_id, reference, str(sealed.get("code")), dict(sealed.get("extra") or {}),
                             stored_at=row.created_at)


def _queued(key: IdempotencyKey, row: Any) -> EarlierSubmission | None:
    """The report this key queued, not filed yet; its receipt within RECEIPT_WINDOW of its coming, as a case's."""
    if row.queued_receipt is None:
        return None
    shown = row.queued_at + RECEIPT_WINDOW > utcnow()
    sealed = (_unseal(key, row, row.queued_receipt) if shown else None) or {}
    code = sealed.get("code")
    return EarlierSubmission(None, "", str(code) if code else None, stored_at=row.queued_at)


_KEYS = cast(Table, SubmissionKey.__table__)
_QUEUE = cast(Table, QueuedReport.__table__)
# One row, with the key's columns NULL when no key matches; a key waits in the queue or is in submission_keys (the
# worker moves it in one transaction, which this one statement sees whole, leaving a tombstone in the queue).
_ONE_ROW = select(literal_column("1").label("one")).subquery("one_row")
_FIND_KEY = select(
    VERSION_READ, _KEYS.c.id, _KEYS.c.case_id, _KEYS.c.created_at, _KEYS.c.receipt_encrypted, _KEYS.c.receipt_until,
    _QUEUE.c.receipt_encrypted.label("queued_receipt"), _QUEUE.c.received_at.label("queued_at"),
).select_from(_ONE_ROW.outerjoin(_KEYS, _KEYS.c.key_hash == bindparam("key_hash"))
              .outerjoin(_QUEUE, and_(_QUEUE.c.key_hash == bindparam("key_hash"), _QUEUE.c.filed_at.is_(None))))
_FIND_KEY_OUTSIDE = SingleRowSelect(_FIND_KEY)
_REFERENCE_OF = select(Case.reference).where(Case.id == bindparam("case_id"))


def _unseal(key: IdempotencyKey, row: Any, sealed: bytes | None = None) -> dict[str, Any] | None:
    sealed = sealed if sealed is not None else row.receipt_encrypted
    if sealed is None:
        return None
    try:
        value = json.loads(decrypt_text_under(key.value, sealed))
    except (DecryptionError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def remember_submission(key: IdempotencyKey, case_id: int, code: str, extra: dict[str, Any] | None = None) -> None:
    """Record the key with the stored case, in the complaint's own transaction; flushes, so that a concurrent
    submission with the same key fails here (IntegrityError) and not after its case is stored."""
    row = submission_key(key, code, extra)
    row.case_id = case_id
    db.session.add(row)
    erase_expired_receipts(row.created_at)  # its flush writes the key with the rest so far: one flush, not two


def submission_key(key: IdempotencyKey, code: str, extra: dict[str, Any] | None = None) -> SubmissionKey:
    """The key's row, its receipt sealed under the key, for the caller to give its case and add."""
    return SubmissionKey(**submission_key_values(key, code, extra))


def submission_key_values(key: IdempotencyKey, code: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The key's row without its case, its receipt sealed under the key (see insert_submission_key). Made before
    the case is written, so that the encryption is done before the transaction writes."""
    now = utcnow()
    sealed = json.dumps({"code": code, "extra": extra or {}})
    return {"key_hash": key.hash, "created_at": now, "receipt_encrypted": encrypt_text_under(key.value, sealed),
            "receipt_until": now + RECEIPT_WINDOW}


def insert_submission_key(values: dict[str, Any], case_id: int) -> None:
    """Store the key's row (submission_key_values) with its case, right after the case's row: a concurrent
    submission with the same key fails here (IntegrityError), before anything more is written. A statement built
    once: nothing reads the row back through the session in this transaction."""
    db.session.connection().execute(_INSERT_KEY, {**values, "case_id": case_id})


_INSERT_KEY = insert(cast(Table, SubmissionKey.__table__)).values(
    key_hash=bindparam("key_hash"), case_id=bindparam("case_id"), created_at=bindparam("created_at"),
    receipt_encrypted=bindparam("receipt_encrypted"), receipt_until=bindparam("receipt_until"))


def erase_expired_receipts(now: dt.datetime | None = None) -> None:
    """Erase receipts past their window (the key stays, so a late retry still finds its case). Flushes only.

    On the session's connection, without the ORM's bulk-update bookkeeping (matching the session's loaded keys
    against the condition): the commit that follows expires them all anyway. A receipt that a concurrent report
    is erasing is skipped, not waited for (PostgreSQL): receipts expire at the rate reports came in an hour
    before, so reports at the same moment find the same ones, and would otherwise each wait for the other's
    whole transaction. One that is skipped and whose eraser rolls back is erased by a later report; a receipt
    past its window is never shown in the meantime (`find_earlier` checks the window)."""
    db.session.flush()
    db.session.connection().execute(_ERASE_EXPIRED, {"now": now or utcnow()})


def erase_expired_receipts_when_due() -> None:
    """erase_expired_receipts, if this process (app) has not run it in the last ERASE_INTERVAL. An UPDATE on every
    report was a statement in each one's transaction, which nearly always found nothing; a receipt past its window
    is never shown (`find_earlier` checks the window), and is now erased at most ERASE_INTERVAL after it, by the
    first report that comes (or a little later if that report's transaction is rolled back). Flushes only."""
    now = utcnow()
    last: dt.datetime | None = current_app.extensions.get(_ERASED_AT)
    if last is not None and last <= now < last + ERASE_INTERVAL:
        return
    erase_expired_receipts(now)
    current_app.extensions[_ERASED_AT] = now


# Built once (web reports run it): building a statement and its cache key costs more than running it.
_ERASE_EXPIRED = update(SubmissionKey).where(SubmissionKey.id.in_(
    select(SubmissionKey.id).where(SubmissionKey.receipt_until < bindparam("now")).with_for_update(skip_locked=True)
)).values(receipt_encrypted=None, receipt_until=None)


def receive_once(key: IdempotencyKey, store: Callable[[], Stored], *,
                 looked_up: bool = False) -> Stored | EarlierSubmission:
    """The case this key already stored, or `store()`'s new one. `store` must call remember_submission before
    it commits; if a concurrent request with the same key committed first, its case is returned instead.
    `looked_up`: the caller has just found no earlier submission with find_earlier (not asked again)."""
    earlier = None if looked_up else find_earlier(key)
    if earlier is not None:
        return earlier
    try:
        return store()
    except IntegrityError:
        rollback_quietly(db.session)  # removes the files written for the duplicate too
        earlier = find_earlier(key)
        if earlier is None:
            raise
        return earlier
