"""Web reports queued for a worker (WEB_REPORTS_QUEUED): the request checks the form, stores the report as sent
and answers with its receipt code; a `deliver` worker then files it as a case, as the SMS inbox's texts are.

The request's one write is one row, committed before the receipt is shown, so the report is durable when the
sender is told it is stored; the model's reading, the routing and the case's writes happen in the worker, out of
the sender's wait. The row carries the receipt sealed under the form key, as submission_keys does: a retry of the
form finds it here until it is filed, then finds the case. The worker files a report, moves its key to
submission_keys and empties its row in one transaction: one that dies half-way leaves the report for the next, and
a report is filed once (the key's unique hash refuses a second case).

The emptied row (a tombstone: the key's and the receipt's hashes, no words) stays FILED_KEPT, then goes. While it
stays, its unique key refuses the INSERT of a retry that looked the key up just before the report was filed, so the
request's INSERT alone settles a race that would otherwise need a look-up after it.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, Integer, Table, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from civicwatch.audit.operations import record_audit
from civicwatch.cases.models import Channel
from civicwatch.cases.references import new_receipt_code, normalise_receipt_code, receipt_hash
from civicwatch.crypto import IDENTITY_KEY, decrypt_json, decrypt_json_with, encrypt_json, encrypt_json_with
from civicwatch.database import (
    UTCDateTime,
    lost_to_another_transaction,
    refused_for_its_data,
    rollback_quietly,
    utcnow,
)
from civicwatch.extensions import db
from civicwatch.intake.idempotency import RECEIPT_WINDOW, IdempotencyKey, submission_key_values
from civicwatch.intake.models import QueuedReport, SubmissionKey
from civicwatch.intake.operations import (
    Submission,
    check_submission,
    commit_complaint,
    file_queued_complaint,
    read_reports,
)
from civicwatch.intake.validation import SubmissionError, contact_details
from civicwatch.phones import SMS
from civicwatch.raw_statements import SingleRowInsert
from civicwatch.routing.operations import ModelReading

log = logging.getLogger(__name__)

# After this many failed tries a report waits for an admin (the outbox page gives it back to the worker), never
# dropped: the worker goes on with the others.
MAX_ATTEMPTS = 3
# Reports filed per call of file_queued_reports (a `deliver` round).
CLAIM_BATCH = 20

_COLUMNS = ("key_hash", "receipt_hash", "payload_encrypted", "contact_encrypted", "receipt_encrypted", "received_at",
            "urgent", "attempts")
_QUEUE = cast(Table, QueuedReport.__table__)
_WAITING = QueuedReport.filed_at.is_(None)
_ACCEPT = SingleRowInsert("web_report_queue", _COLUMNS, key="key_hash")
# The fields of a Submission a web report without files carries, as the form gave them.
_FIELDS = ("text", "region_code", "district_code", "location_text", "reported_actor", "urgent", "fears_retaliation",
           "texts_by", "texts_allowed", "language_hint")


@dataclass(frozen=True)
class QueuedReceipt:
    """What the sender of a queued report is told: its receipt code (the reference comes once it is filed)."""

    code: str


def queue_report(submission: Submission, key: IdempotencyKey) -> QueuedReceipt | None:
    """Check a web report without files and store it for a worker, committed before this returns. None if a report
    with this form key was queued or filed first (a concurrent retry: the caller finds it with find_earlier).
    Raises SubmissionError for what filing it would refuse."""
    if submission.attachments or submission.channel is not Channel.WEB:
        raise ValueError("only web reports without files are queued")
    check_submission(submission)
    code = new_receipt_code()
    now = utcnow()
    sealed = submission_key_values(key, code)
    # As checked: the phone in E.164, which the worker reads alike whatever its own DEFAULT_PHONE_REGION.
    contact = contact_details(submission.phone, submission.email)
    fields = {name: getattr(submission, name) for name in _FIELDS}
    fields["incident_date"] = submission.incident_date.isoformat() if submission.incident_date else None
    inserted = _ACCEPT(db.engine, {
        "key_hash": sealed["key_hash"], "receipt_hash": receipt_hash(code), "payload_encrypted": encrypt_json(fields),
        "contact_encrypted": encrypt_json_with(IDENTITY_KEY, contact) if contact else None,
        "receipt_encrypted": sealed["receipt_encrypted"], "received_at": now, "urgent": bool(submission.urgent),
        "attempts": 0,
    })
    # Not inserted: the key waits here, or its tombstone does, and submission_keys (whose rows stay) has it.
    return QueuedReceipt(code) if inserted else None


@dataclass(frozen=True)
class QueueState:
    """For admins: reports waiting to be filed, and those of them that failed every try."""

    waiting: int
    failed: int


def queue_state() -> QueueState:
    waiting, failed = db.session.execute(select(
        func.count(), func.count().filter(QueuedReport.attempts >= MAX_ATTEMPTS)).where(_WAITING)).one()
    return QueueState(int(waiting), int(failed or 0))


def retry_failed_reports(user: Any) -> int:
    """An admin gives the reports that failed every try back to the worker (say, after fixing what made them
    fail). Audited by their count alone; flushes only. Returns how many."""
    count = cast(CursorResult[Any], db.session.execute(
        update(QueuedReport).where(_WAITING, QueuedReport.attempts >= MAX_ATTEMPTS).values(attempts=0, last_error=None)
        .execution_options(synchronize_session=False))).rowcount
    if count:
        record_audit(user, "web_report_queue.retry", after={"reports": count})
    return count


# A report the worker has yet to take that waited longer than this means no worker runs (/healthz says "stalled").
STALLED_AFTER = dt.timedelta(minutes=5)


def queue_stalled(now: dt.datetime | None = None) -> bool:
    """A report the worker has yet to take has waited longer than STALLED_AFTER: no worker is filing."""
    oldest = db.session.scalar(
        select(func.min(QueuedReport.received_at)).where(_WAITING, QueuedReport.attempts < MAX_ATTEMPTS))
    return oldest is not None and (now or utcnow()) - oldest > STALLED_AFTER


@dataclass(frozen=True)
class WaitingReport:
    """What the follow-up page tells the sender of a report queued, not filed yet."""

    left_for_an_admin: bool  # it failed every try: filed once an admin gives it back, perhaps days later


def waiting_report(code: str | None) -> WaitingReport | None:
    """The report with this receipt code if it is queued, not filed yet. Malformed codes are simply not found."""
    digits = normalise_receipt_code(code or "")
    attempts = None if digits is None else db.session.scalar(
        select(QueuedReport.attempts).where(_WAITING, QueuedReport.receipt_hash == receipt_hash(digits)))
    return None if attempts is None else WaitingReport(attempts >= MAX_ATTEMPTS)


@dataclass
class FilingReport:
    filed: int = 0
    failed: int = 0  # tries that raised; the report stays for another, or for an admin after MAX_ATTEMPTS


_OLDEST = {
    (dialect, urgent): (lambda query: query.with_for_update(skip_locked=True) if dialect == "postgresql" else query)(
        select(_QUEUE).where(_QUEUE.c.filed_at.is_(None), _QUEUE.c.attempts < MAX_ATTEMPTS, _QUEUE.c.urgent.is_(urgent),
                             _QUEUE.c.id > bindparam("after_id", type_=Integer))
        .order_by(_QUEUE.c.id).limit(bindparam("count", type_=Integer)))
    for dialect in ("postgresql", "sqlite") for urgent in (True, False)
}
# A filed report's row emptied: what it said and who sent it are the case's now.
_FILED = update(_QUEUE).where(_QUEUE.c.id == bindparam("row_id", type_=Integer)).values(
    filed_at=bindparam("now", type_=UTCDateTime()), payload_encrypted=b"", contact_encrypted=None,
    receipt_encrypted=b"", last_error=None)
# How long a filed report's tombstone stays: far longer than any request lives (between its look-up and its INSERT).
FILED_KEPT = dt.timedelta(minutes=15)
_FORGET_FILED = delete(_QUEUE).where(_QUEUE.c.filed_at < bindparam("before", type_=UTCDateTime()))


def file_queued_reports(limit: int = CLAIM_BATCH) -> FilingReport:
    """File up to `limit` queued reports, those their senders said are urgent first, then the others, oldest first.
    Each report is filed in a savepoint of its own, and several share a transaction (_Batch): one claim, one
    reading by the model, one commit, one link of the audit chain and one update of the dashboard's counts for them
    all. Workers pass each other on PostgreSQL (a report one is filing is skipped by the others); SQLite has one
    writer anyway. Each report is tried once per call: one that fails waits for the next round, so that its tries
    are spread over time."""
    report = FilingReport()
    dialect = db.session.get_bind().dialect.name
    after_id, urgent = 0, True
    batch = _Batch()
    read = _ReadAhead()
    singles = 0  # reports left to file one per transaction: those of a batch that lost to another transaction
    while True:
        try:
            left = limit - (report.filed + report.failed + batch.filed + batch.failed)
            if left <= 0:
                _end(batch, report)
                break
            wanted = 1 if singles else min(left, FILE_BATCH - batch.rows)
            rows = db.session.execute(_OLDEST[dialect, urgent], {"after_id": after_id, "count": wanted}).all()
            if not rows:
                _end(batch, report)
                if not urgent:
                    break
                after_id, urgent = 0, False
                continue
            if batch.rows == 0:
                batch.begin(after_id, urgent)
            read.ahead(rows)
            for row in rows:
                after_id = row.id
                _file_in_savepoint(row, read, batch)
                if batch.rows >= (1 if singles else FILE_BATCH) or batch.held() >= FILE_BATCH_SECONDS:
                    # The claimed rows not filed yet are freed by the commit and claimed again next, their
                    # readings kept (on PostgreSQL another worker may take them meanwhile).
                    _end(batch, report)
                    singles = max(singles - 1, 0)
                    break
        except OperationalError as error:
            rollback_quietly(db.session)
            if not lost_to_another_transaction(error) or batch.rows <= 1:
                raise  # the database, not the reports: the deliver loop waits and tries again
            # A deadlock with another worker (PostgreSQL fails one of the two): the batch's reports are filed
            # again, one per transaction, so that the two do not meet again.
            log.warning("a batch of %s queued web reports lost to another transaction; filing them one at a time",
                        batch.rows)
            singles, (after_id, urgent) = batch.rows, batch.start
            batch = _Batch()
    return report


# Reports filed per transaction at most, and how long one transaction goes on taking more. On SQLite a web
# report's INSERT waits for the worker's whole transaction: the time keeps that wait short, the count keeps the
# transaction's objects few.
FILE_BATCH = 20
FILE_BATCH_SECONDS = 0.025


@dataclass
class _Batch:
    """The reports of the open transaction, counted in the FilingReport once it commits."""

    start: tuple[int, bool] = (0, True)  # where its first claim began (after_id, urgent): a lost batch's restart
    began: float = 0.0
    filed: int = 0
    failed: int = 0
    emptied: int = 0  # reports another worker had filed: their rows emptied

    @property
    def rows(self) -> int:
        return self.filed + self.failed + self.emptied

    def begin(self, after_id: int, urgent: bool) -> None:
        self.start, self.began = (after_id, urgent), time.monotonic()

    def held(self) -> float:
        return time.monotonic() - self.began


def _end(batch: _Batch, report: FilingReport) -> None:
    """Commit the batch's reports (or, with none, end the claim's read) and count them. Raises what the commit
    raised, rolled back (an OperationalError is the caller's to tell apart)."""
    commit_complaint()
    report.filed += batch.filed
    report.failed += batch.failed
    batch.filed = batch.failed = batch.emptied = 0


@dataclass
class _ReadAhead:
    """The claimed reports' submissions and the model's readings of their texts, read together before any of them
    is filed, and kept for those that a batch's end leaves to the next (claimed again, not read again)."""

    kept: dict[int, tuple[Submission, ModelReading | None]] = dataclasses.field(default_factory=dict)

    def ahead(self, rows: Sequence[Any]) -> None:
        submissions: dict[int, Submission] = {}
        for row in rows:
            if row.id in self.kept:
                continue
            try:
                submissions[row.id] = _submission(row)
            except Exception:  # filing it reads it again, and counts the failure as its try
                continue
        readings = read_reports(list(submissions.values()))
        for (row_id, submission), reading in zip(submissions.items(), readings, strict=True):
            self.kept[row_id] = (submission, reading)

    def taken(self, row: Any) -> tuple[Submission, ModelReading | None]:
        """The row's submission and reading as read ahead; for a row whose payload could not be read then, read
        now (raising what stops it)."""
        kept = self.kept.pop(row.id, None)
        return kept if kept is not None else (_submission(row), None)


def _file_in_savepoint(row: Any, read: _ReadAhead, batch: _Batch) -> None:
    """File one report in a savepoint of the batch's transaction. A report that fails is rolled back alone and its
    try counted; a database error (OperationalError, unless the report's data was refused) is raised."""
    try:
        with db.session.begin_nested():
            _file(row, *read.taken(row))
        batch.filed += 1
    except OperationalError as exc:
        if not refused_for_its_data(exc):
            raise  # the database's, not the report's
        _failed(row, exc, batch)
    except IntegrityError:
        # Its form key was filed already (another worker filed it and this one's claim was lost with a
        # rolled-back transaction): the case exists, so the row is emptied as a filed one.
        if _key_filed(row.key_hash):
            db.session.execute(_FILED, {"row_id": row.id, "now": utcnow()})
            batch.emptied += 1
            return
        _note_failure(row, "IntegrityError")
        batch.failed += 1
    except Exception as exc:
        _failed(row, exc, batch)


def _failed(row: Any, error: Exception, batch: _Batch) -> None:
    """One report must not stop the worker: its try is counted, and it is tried again, then left for an admin."""
    log.exception("queued web report %s could not be filed", row.id, exc_info=error)
    _note_failure(row, type(error).__name__)
    batch.failed += 1


def _submission(row: Any) -> Submission:
    fields = decrypt_json(row.payload_encrypted)
    contact = decrypt_json_with(IDENTITY_KEY, row.contact_encrypted) if row.contact_encrypted is not None else {}
    incident = fields.get("incident_date")
    return Submission(
        text=str(fields.get("text") or ""), channel=Channel.WEB,
        incident_date=dt.date.fromisoformat(incident) if incident else None,
        region_code=fields.get("region_code"), district_code=fields.get("district_code"),
        location_text=fields.get("location_text"), reported_actor=fields.get("reported_actor"),
        phone=contact.get("phone"), email=contact.get("email"), urgent=bool(fields.get("urgent")),
        fears_retaliation=bool(fields.get("fears_retaliation")), texts_by=str(fields.get("texts_by") or SMS),
        texts_allowed=fields.get("texts_allowed"), language_hint=fields.get("language_hint"),
        receipt_hash=row.receipt_hash, received_at=row.received_at)


def _file(row: Any, submission: Submission, reading: ModelReading | None) -> None:
    key_row = {"key_hash": row.key_hash, "created_at": row.received_at, "receipt_encrypted": row.receipt_encrypted,
               "receipt_until": row.received_at + RECEIPT_WINDOW}
    while True:
        try:
            file_queued_complaint(submission, key_row, reading)
            break
        except SubmissionError as refused:
            submission = _without(submission, refused, row.id)
    db.session.execute(_FILED, {"row_id": row.id, "now": utcnow()})


# What the form's check accepted and filing may refuse, the taxonomy having changed since (a place or an actor
# removed): the field named by the refusal, and the values that clear it. Refused at every try, the report would
# never be filed while its sender holds a receipt; filed without it, the sender's own words all kept.
_CLEARED: dict[str, dict[str, Any]] = {
    "area": {"region_code": None, "district_code": None}, "reported_actor": {"reported_actor": None},
    "incident_date": {"incident_date": None},
}


def _without(submission: Submission, refused: SubmissionError, row_id: int) -> Submission:
    cleared = _CLEARED.get(refused.field or "")
    if cleared is None or all(getattr(submission, name) is None for name in cleared):
        raise refused
    log.warning("queued web report %s is filed without its %s, refused now (%s)", row_id, refused.field, refused.code)
    return dataclasses.replace(submission, **cleared)


def _key_filed(key_hash: str) -> bool:
    return db.session.connection().scalar(_KEY_FILED, {"key_hash": key_hash}) is not None


_KEYS = cast(Table, SubmissionKey.__table__)
_KEY_FILED = select(_KEYS.c.id).where(_KEYS.c.key_hash == bindparam("key_hash"))


_NOTE_FAILURE = update(_QUEUE).where(_QUEUE.c.id == bindparam("row_id", type_=Integer)).values(
    attempts=_QUEUE.c.attempts + 1, last_error=bindparam("error"))


def _note_failure(row: Any, error_name: str) -> None:
    """Count a failed try in the batch's transaction (the report's savepoint rolled back already), in a savepoint
    of its own: a count that cannot be written is said, and costs the batch nothing."""
    try:
        with db.session.begin_nested():
            db.session.execute(_NOTE_FAILURE, {"row_id": row.id, "error": error_name[:200]})
    except OperationalError:
        raise
    except Exception as exc:
        log.error("could not record the failure of queued web report %s (%s)", row.id, type(exc).__name__)
        return
    if row.attempts + 1 >= MAX_ATTEMPTS:
        log.error("queued web report %s failed %s times; it waits for an admin", row.id, row.attempts + 1)


def forget_filed_reports(now: dt.datetime) -> None:
    """Delete the tombstones older than FILED_KEPT (a `deliver` worker's periodic job). Flushes only."""
    db.session.execute(_FORGET_FILED, {"before": now - FILED_KEPT})
