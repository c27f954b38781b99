"""The delivery worker's unit of work: claim one due message, send it, record what happened.

Each step commits on its own, as a view commits once per request: the claim is committed before the slow
call to the provider, so another worker skips the row, and the result is committed as soon as it is known.
A worker that dies mid-send leaves a claim that goes stale after `OUTBOX_CLAIM_TIMEOUT_SECONDS` and is
taken again. (A send whose answer was lost in a timeout may have reached Twilio: delivery is at least once
for that case, exactly once otherwise.)
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, cast

from flask import current_app
from sqlalchemy import ColumnElement, CursorResult, and_, exists, or_, select, update
from sqlalchemy.orm import aliased

from civicwatch.crypto import decrypt_text
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage, OutboxStatus
from civicwatch.messaging.operations import OPTED_OUT_NOTE, honours_opt_out, max_age, record_opt_out
from civicwatch.messaging.queries import is_opted_out
from civicwatch.messaging.senders import UNSUBSCRIBED_ERROR_CODE, SendError, SmsSender

log = logging.getLogger(__name__)


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    lost_claims: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed + self.cancelled + self.lost_claims

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(self.sent + other.sent, self.retrying + other.retrying, self.failed + other.failed,
                              self.cancelled + other.cancelled, self.lost_claims + other.lost_claims,
                              self.errors + other.errors)


def backoff(attempts: int) -> dt.timedelta:
    """Wait before the next try: base, 2x base, 4x base ... capped."""
    base = float(current_app.config.get("OUTBOX_RETRY_BASE_SECONDS", 30))
    cap = float(current_app.config.get("OUTBOX_RETRY_MAX_SECONDS", 3600))
    return dt.timedelta(seconds=min(cap, base * 2 ** max(attempts - 1, 0)))


def claim_timeout() -> dt.timedelta:
    return dt.timedelta(seconds=float(current_app.config.get("OUTBOX_CLAIM_TIMEOUT_SECONDS", 300)))


def _due(now: dt.datetime) -> ColumnElement[bool]:
    """Pending and due, or claimed by a worker that has not finished in time (it died)."""
    return or_(
        and_(OutboundMessage.status == OutboxStatus.PENDING, OutboundMessage.next_attempt_at <= now),
        and_(OutboundMessage.status == OutboxStatus.SENDING, OutboundMessage.claimed_at < now - claim_timeout()),
    )


def claim_next_message(worker_id: str, to_hash: str | None = None) -> OutboundMessage | None:
    """Take the oldest due message for this worker. Flushes; the caller commits before sending.

    PostgreSQL: FOR UPDATE SKIP LOCKED, so workers never wait on each other. Everywhere: the claim is a
    conditional UPDATE that only succeeds while the row is still due, so two workers cannot both win it.
    """
    now = utcnow()
    older = aliased(OutboundMessage)
    # One number's texts arrive in the order they were owed: a reply waiting out a failure holds back the
    # texts after it (the receipt code must not come after "added to your report").
    waiting_before = exists().where(older.to_hash == OutboundMessage.to_hash, older.id < OutboundMessage.id,
                                    older.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)))
    query = select(OutboundMessage.id).where(_due(now), OutboundMessage.channel == "sms", ~waiting_before)
    if to_hash is not None:
        query = query.where(OutboundMessage.to_hash == to_hash)
    query = query.order_by(OutboundMessage.next_attempt_at, OutboundMessage.id).limit(5)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=OutboundMessage)
    for message_id in db.session.scalars(query).all():
        # An UPDATE returns a CursorResult, which has the row count; Session.execute is typed as Result.
        claimed = cast(CursorResult[Any], db.session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == message_id, _due(now))
            .values(status=OutboxStatus.SENDING, claimed_by=worker_id, claimed_at=now)
            .execution_options(synchronize_session=False)
        ))
        if claimed.rowcount == 1:
            return db.session.get(OutboundMessage, message_id, populate_existing=True)
    return None


def _finish(message: OutboundMessage, worker_id: str, **values: object) -> bool:
    """Write the result only if the claim is still ours (it is, unless we outlived the claim timeout)."""
    result = cast(CursorResult[Any], db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == message.id, OutboundMessage.claimed_by == worker_id,
               OutboundMessage.status == OutboxStatus.SENDING)
        .values(claimed_by=None, claimed_at=None, **values)
        .execution_options(synchronize_session=False)
    ))
    return result.rowcount == 1


def deliver_message(message: OutboundMessage, sender: SmsSender, worker_id: str, report: DeliveryReport) -> None:
    """Send one claimed message and record the result. Flushes; the caller commits."""
    now = utcnow()
    if honours_opt_out(message.purpose) and is_opted_out(message.to_hash):
        _count(report, "cancelled", _finish(message, worker_id, status=OutboxStatus.CANCELLED,
                                            last_error=OPTED_OUT_NOTE))
        return
    attempts = message.attempts + 1
    try:
        provider_sid = sender.send(decrypt_text(message.to_encrypted), message.text)
    except SendError as error:
        retry_until = message.retry_until or (message.created_at + max_age())
        next_attempt = now + backoff(attempts)
        give_up = error.permanent or next_attempt > retry_until
        if error.code == UNSUBSCRIBED_ERROR_CODE:
            record_opt_out(message.to_hash, "carrier")
        log.warning("outbox message %s: %s (attempt %s%s)", message.id, error.reason, attempts,
                    ", giving up" if give_up else "")
        values = {"attempts": attempts, "last_error": error.reason[:500], "last_error_code": error.code}
        if give_up:
            _count(report, "failed", _finish(message, worker_id, status=OutboxStatus.FAILED, **values))
        else:
            _count(report, "retrying", _finish(message, worker_id, status=OutboxStatus.PENDING,
                                               next_attempt_at=next_attempt, **values))
        return
    stored = _finish(message, worker_id, status=OutboxStatus.SENT, attempts=attempts, provider_sid=provider_sid,
                     sent_at=now, last_error=None, last_error_code=None)
    if not stored:
        log.error("outbox message %s was sent but its claim had expired; raise OUTBOX_CLAIM_TIMEOUT_SECONDS",
                  message.id)
    _count(report, "sent", stored)


def _count(report: DeliveryReport, outcome: str, stored: bool) -> None:
    if stored:
        setattr(report, outcome, getattr(report, outcome) + 1)
    else:
        report.lost_claims += 1


def deliver_due_messages(sender: SmsSender, worker_id: str, limit: int = 100,
                         to_hash: str | None = None) -> DeliveryReport:
    """Claim and send due messages one at a time, committing each claim and each result."""
    report = DeliveryReport()
    for _ in range(limit):
        message = claim_next_message(worker_id, to_hash)
        db.session.commit()
        if message is None:
            break
        try:
            deliver_message(message, sender, worker_id, report)
            db.session.commit()
        except Exception as exc:  # one bad row must not stop the worker; its claim goes stale and is retried
            db.session.rollback()
            log.exception("outbox message %s could not be processed", message.id)
            report.errors.append(type(exc).__name__)
    return report
