"""The delivery worker's unit of work: claim a batch of due messages, send each, record what happened.

Each step commits on its own, as a view commits once per request: the claim of a batch (status sending,
claimed_by; at most one message per number, so each number's texts keep their order) is committed before
the slow calls to the provider, so another worker skips those rows, and the provider SIDs of the batch are
committed once its sends are done, in one UPDATE, with the claim of the next batch when there is one (one commit
per batch rather than per message: the commit costs more than the send). A message with a SID is never claimed
again. The sends of a batch, each a round trip to Twilio, are OUTBOX_SEND_CONCURRENCY at once, to different numbers
(messaging/in_flight.py): only the HTTP calls run on threads; the look-ups and every write stay on the worker's own
thread and session, and every send in flight is waited for and its SID kept, whatever stops the batch.
Messages of a batch that a dying worker never reached have no SID, and are taken again when their claim goes
stale (after a look at Twilio's list, which finds nothing for them).

If the database fails while the SID is being recorded, the worker keeps the SID (`UnrecordedSends`) and
retries recording it, with backoff, before it claims anything else; meanwhile the claim keeps the row
from other workers for `OUTBOX_CLAIM_TIMEOUT_SECONDS`.

A send whose answer was lost is found again rather than sent again. Such a send is a worker killed (or a database
outage longer than the claim timeout) between Twilio's acceptance and the commit of the SID, whose claim goes
stale; or a send that timed out or whose connection was cut after the request left (`SendError.maybe_sent`). The
message is then in doubt (`in_doubt_since`, the time of that claim), and two things tie Twilio's copy back to it:

- each send's status callback URL names the outbox row and the claim (`SendReference`; Twilio signs the whole URL,
  query included). A callback for a SID no row holds, naming a claim the row still holds or one since it fell in
  doubt, records that SID (`operations.record_lost_send`): usually within seconds, before anyone looks again;
- before a message in doubt is sent again, the worker lists Twilio's newest messages to that address from our
  sender, and records the SID of one with the same text, accepted since the doubt began and held by no other
  row, with the status Twilio lists for it, instead of sending (`find_lost_send`; the text is compared in memory,
  never logged). Nothing found: the text is sent, as it is owed.

The usual send costs nothing more: no extra call to Twilio, only a longer callback URL. When Twilio cannot be
asked (its list fails: the network is still down), the message is not sent: it waits with the usual backoff and
asks again, since a send would most likely fail the same way, and a second text on a shared phone can put a
citizen at risk. If Twilio still cannot be asked at the message's maximum age, it is marked failed, "it may have
been sent", for an admin to decide on the outbox page; a status callback arriving later still records it as sent.
What remains: a send Twilio accepted but does not list yet, nor reported by callback, when the worker looks (its
list lags seconds, the worker looks 30 seconds or a claim timeout later); a WhatsApp template whose wording as
Twilio lists it differs from the catalog's (its callback still finds it); and a double send that already happened
(then one SID is recorded, and the other's statuses are dropped after a day). A worker that stops on SIGTERM
records the SIDs it holds first.

A free-form WhatsApp message due outside WhatsApp's 24-hour session window is held, not sent, and a template
asks the citizen to write again (messaging/whatsapp.py).

A text we start (anything but a reply to a citizen's own text) to a number not safe to text (messaging.models.
NotSafeToText, read in the claim's statement, and again just before each send after the batch's first, with the
opt-out) is cancelled, not sent: a change of mind after it was owed, or while its batch was being sent, is
honoured.

In quiet hours only replies to a citizen's own texts are claimed; every other message due then waits, still
pending, until they end (messaging/quiet_hours.py).
"""
from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, cast

from flask import current_app
from sqlalchemy import (
    ARRAY,
    Boolean,
    Case,
    ColumnElement,
    CursorResult,
    DateTime,
    Integer,
    Select,
    String,
    Update,
    and_,
    bindparam,
    case,
    exists,
    func,
    inspect,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import aliased
from sqlalchemy.types import TypeEngine

from civicwatch.crypto import decrypt_text
from civicwatch.database import UTCDateTime, run_once, utcnow
from civicwatch.extensions import db
from civicwatch.messaging.in_flight import send_all, send_concurrency
from civicwatch.messaging.models import (
    REPLY_PURPOSES,
    EarlyDeliveryStatus,
    NotSafeToText,
    OutboundMessage,
    OutboxStatus,
    SmsOptOut,
)
from civicwatch.messaging.operations import (
    OPTED_OUT_NOTE,
    apply_early_statuses,
    honours_opt_out,
    keep_reported_status,
    record_opt_out,
    retry_deadline,
    started_by_us,
)
from civicwatch.messaging.queries import NOT_SAFE_NOTE, NUMBER_BLOCKS, NumberBlocks, number_blocks
from civicwatch.messaging.quiet_hours import in_quiet_hours
from civicwatch.messaging.senders import (
    UNREADABLE_ANSWER,
    UNSUBSCRIBED_ERROR_CODE,
    SendError,
    SendReference,
    SmsSender,
)
from civicwatch.messaging.whatsapp import (
    last_inbound,
    lock_session_for,
    needs_session,
    queue_session_template,
    session_open,
)
from civicwatch.phones import TEXT_CHANNELS, twilio_address

log = logging.getLogger(__name__)

# What a database that went away raises (restart, network, full disk); worth retrying, unlike a constraint.
DATABASE_DOWN = (OperationalError, InterfaceError)


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    lost_claims: int = 0
    held: int = 0  # WhatsApp messages held until the citizen reopens the session window
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed + self.cancelled + self.lost_claims + self.held

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(self.sent + other.sent, self.retrying + other.retrying, self.failed + other.failed,
                              self.cancelled + other.cancelled, self.lost_claims + other.lost_claims,
                              self.held + other.held, self.errors + other.errors)


def backoff(attempts: int) -> dt.timedelta:
    """Wait before the next try: base, 2x base, 4x base ... capped."""
    base = float(current_app.config.get("OUTBOX_RETRY_BASE_SECONDS", 30))
    cap = float(current_app.config.get("OUTBOX_RETRY_MAX_SECONDS", 3600))
    return dt.timedelta(seconds=min(cap, base * 2 ** max(attempts - 1, 0)))


def claim_timeout() -> dt.timedelta:
    return dt.timedelta(seconds=float(current_app.config.get("OUTBOX_CLAIM_TIMEOUT_SECONDS", 300)))


def clock_skew() -> dt.timedelta:
    """This process's clock minus the database's (positive: ahead), in a transaction of its own (PostgreSQL's
    now() is when the transaction began)."""
    db.session.rollback()
    database_now = db.session.execute(select(func.now(type_=UTCDateTime()))).scalar_one()
    skew = utcnow() - database_now
    db.session.rollback()
    return skew


_QUIET = bindparam("quiet", type_=Boolean())  # whether :now is in quiet hours


def _due() -> ColumnElement[bool]:
    """Pending and due (at :now), or claimed by a worker that has not finished in time (before :stale_before:
    it died); never one that has a provider SID (Twilio has it), nor one held for the WhatsApp session window,
    nor in quiet hours (:quiet) one that is not a reply to the citizen's own text."""
    return and_(OutboundMessage.provider_sid.is_(None), OutboundMessage.held_since.is_(None), or_(
        and_(OutboundMessage.status == OutboxStatus.PENDING, OutboundMessage.next_attempt_at <= bindparam("now")),
        and_(OutboundMessage.status == OutboxStatus.SENDING,
             OutboundMessage.claimed_at < bindparam("stale_before")),
    ), or_(~_QUIET, OutboundMessage.purpose.in_(REPLY_PURPOSES)))


def _candidates(for_one_number: bool) -> Select[tuple[int]]:
    """The ids of up to :limit due messages, oldest first, none with an older message to its number still
    waiting (a held message waits for the citizen, not for a turn: the template asking them to write comes
    after it; and in quiet hours a reply does not wait for the texts held until they end); `for_one_number`:
    only those to the number hashed :only_to."""
    older = aliased(OutboundMessage)
    waiting_before = exists().where(older.to_hash == OutboundMessage.to_hash, older.id < OutboundMessage.id,
                                    older.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)),
                                    older.held_since.is_(None),
                                    ~and_(_QUIET, older.purpose.not_in(REPLY_PURPOSES), or_(
                                        older.status == OutboxStatus.PENDING,
                                        older.claimed_at < bindparam("stale_before"))))
    candidates = select(OutboundMessage.id).where(_due(), OutboundMessage.channel.in_(TEXT_CHANNELS),
                                                 ~waiting_before)
    if for_one_number:
        candidates = candidates.where(OutboundMessage.to_hash == bindparam("only_to"))
    return candidates.order_by(OutboundMessage.next_attempt_at, OutboundMessage.id).limit(
        bindparam("limit", type_=Integer))


def _claim(chosen: Any) -> Update:
    """Claim the messages among `chosen` that are still due, returning each (all its columns) with whether its
    number opted out and whether it is not safe to text (read by the claim's statement, after its rows are locked). Taking over a stale claim puts
    the message in doubt from that claim's time: its worker may have sent it before it died."""
    in_doubt = case((OutboundMessage.status == OutboxStatus.SENDING,
                     func.coalesce(OutboundMessage.in_doubt_since, OutboundMessage.claimed_at)),
                    else_=OutboundMessage.in_doubt_since)
    return (update(OutboundMessage)
            .where(OutboundMessage.id.in_(chosen), _due())
            .values(status=OutboxStatus.SENDING, claimed_by=bindparam("worker_id"), claimed_at=bindparam("now"),
                    in_doubt_since=in_doubt)
            .returning(OutboundMessage, exists().where(SmsOptOut.phone_hash == OutboundMessage.to_hash),
                       exists().where(NotSafeToText.phone_hash == OutboundMessage.to_hash))
            .execution_options(synchronize_session=False, populate_existing=True))


# The claim's statement, built once (the worker runs it every round), by dialect and by whether it is for one
# number. PostgreSQL: the candidates locked FOR UPDATE SKIP LOCKED in a CTE run once (run_once), so workers take
# disjoint batches without waiting; SQLite: the UPDATE takes the write lock before it reads, so no other worker
# read them too.
_CLAIM = {(dialect, one): _claim(run_once(
    _candidates(one).with_for_update(skip_locked=True, of=OutboundMessage) if dialect == "postgresql"
    else _candidates(one), dialect)) for dialect in ("postgresql", "sqlite") for one in (False, True)}


def claim_due_messages(worker_id: str, limit: int, to_hash: str | None = None) -> list[OutboundMessage]:
    """Take up to `limit` due messages for this worker (see claim_due_batch)."""
    return claim_due_batch(worker_id, limit, to_hash)[0]


def claim_due_batch(worker_id: str, limit: int,
                    to_hash: str | None = None) -> tuple[list[OutboundMessage], frozenset[str], frozenset[str]]:
    """Take up to `limit` due messages for this worker, oldest first, at most one per number, with the numbers
    among them that opted out and those not safe to text (read after the claim's locks, in the claim's statement),
    in one statement. Flushes; the caller commits before sending.

    One number's texts arrive in the order they were owed: a message is not eligible while an older one to the
    same number is pending or being sent (a reply waiting out a failure holds back the texts after it; the
    receipt code must not come after "added to your report"), so a batch never holds two for one number.
    PostgreSQL: FOR UPDATE SKIP LOCKED, so workers never wait on each other. Everywhere: the claim is a
    conditional UPDATE that only succeeds while the row is still due, so two workers cannot both win it.
    """
    now = utcnow()
    # Only the names the statement binds: an UPDATE takes any other key named like a column as a value to set.
    params: dict[str, Any] = {"now": now, "stale_before": now - claim_timeout(), "limit": limit,
                              "worker_id": worker_id, "quiet": in_quiet_hours(now)}
    if to_hash is not None:
        params["only_to"] = to_hash
    session = db.session()
    held = set(session.identity_map.keys())
    statement = _CLAIM[(db.session.get_bind().dialect.name, to_hash is not None)]
    rows = sorted(db.session.execute(statement, params).all(),
                  key=lambda row: (row[0].next_attempt_at, row[0].id))  # RETURNING comes in no order
    messages = [message for message, _, _ in rows]
    for message in messages:
        # Kept as read, out of the session: the commits of the claim and of each SID would expire them, and
        # each would be read again before it is sent. Every later write to a claimed message is an UPDATE by
        # id, conditional on the claim. A message the caller already held stays in its session.
        if inspect(message).identity_key not in held:
            session.expunge(message)
    return (messages, frozenset(message.to_hash for message, opted_out, _ in rows if opted_out),
            frozenset(message.to_hash for message, _, not_safe in rows if not_safe))


def claim_next_message(worker_id: str, to_hash: str | None = None) -> OutboundMessage | None:
    """Take the oldest due message for this worker (see claim_due_messages)."""
    claimed = claim_due_messages(worker_id, 1, to_hash)
    return claimed[0] if claimed else None


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


@dataclass(frozen=True)
class SentMessage:
    """Twilio accepted a message: what must be recorded. `reported`: for a send found in Twilio's list, its
    status there and error code, applied as a status callback's would be."""

    message_id: int
    provider_sid: str
    attempts: int
    sent_at: dt.datetime
    reported: tuple[str, int | None] | None = None


@dataclass
class UnrecordedSends:
    """SIDs a worker holds because the database would not take them: recorded before anything else."""

    waiting: list[SentMessage] = field(default_factory=list)

    def record(self, report: DeliveryReport, tried: int = 0) -> None:
        """Record every waiting SID in one statement and one commit, retrying with backoff
        (`OUTBOX_RECORD_RETRY_SECONDS`, doubling, five tries, `tried` of them already made); raises the database's
        error (and keeps them all) while it is down."""
        if not self.waiting:
            return
        batch = list(self.waiting)
        wait = float(current_app.config.get("OUTBOX_RECORD_RETRY_SECONDS", 0.1))
        for attempt in range(tried, 5):
            if attempt:
                time.sleep(wait * 2 ** (attempt - 1))
            try:
                stored = _store_sids(batch)
            except DATABASE_DOWN:
                _rollback_quietly()
                if attempt == 4:
                    for item in batch:
                        log.error("outbox message %s was sent (SID %s) but not recorded yet; the worker keeps "
                                  "retrying", item.message_id, item.provider_sid)
                    raise
                continue
            self._recorded(batch, stored, report)
            return

    def _recorded(self, batch: list[SentMessage], stored: set[int], report: DeliveryReport) -> None:
        """`batch`, the first of the SIDs waiting, was committed; `stored`: the ids whose rows took their SID."""
        del self.waiting[:len(batch)]
        report.sent += len(stored)
        report.lost_claims += len(batch) - len(stored)

    def record_and_claim(self, report: DeliveryReport, worker_id: str, limit: int,
                         to_hash: str | None) -> tuple[list[OutboundMessage], frozenset[str], frozenset[str]]:
        """Record the waiting SIDs and claim the next batch (claim_due_batch) in one transaction: one commit, one
        fsync, for both, before anything of the batch is sent. When the database refuses the SIDs, they are
        recorded as `record` does (that refusal its first try) before the batch is claimed; when the claim fails,
        the SIDs are recorded on their own before its error is raised."""
        batch = list(self.waiting)
        try:
            stored = _write_sids(batch) if batch else set()
        except DATABASE_DOWN:
            _rollback_quietly()
            self.record(report, tried=1)
            batch, stored = [], set()
        try:
            claimed = claim_due_batch(worker_id, limit, to_hash)
            db.session.commit()
        except Exception:
            _rollback_quietly()
            self.record(report)
            raise
        _log_not_stored(batch, stored)
        self._recorded(batch, stored, report)
        return claimed


@dataclass(frozen=True)
class SendFailure:
    """Twilio did not take a message (SendError): what `_record_failure` writes."""

    error: SendError
    attempts: int
    now: dt.datetime


@dataclass(frozen=True)
class PendingSend:
    """A claimed message checked and about to be handed to Twilio, with everything its send needs: called on any
    thread, it touches no database (messaging/in_flight.py)."""

    sender: SmsSender
    message_id: int
    to: str
    text: str
    content_sid: str | None
    reference: SendReference | None
    attempts: int
    now: dt.datetime

    def __call__(self) -> SentMessage | SendFailure:
        try:
            provider_sid = self.sender.send(self.to, self.text, content_sid=self.content_sid,
                                            reference=self.reference)
        except SendError as error:
            return SendFailure(error, self.attempts, self.now)
        return SentMessage(self.message_id, provider_sid, self.attempts, self.now)


def deliver_message(message: OutboundMessage, sender: SmsSender, worker_id: str,
                    report: DeliveryReport, opted_out: frozenset[str] | None = None,
                    nothing_sent_since: bool = False,
                    look_up: Callable[[str], NumberBlocks] = number_blocks,
                    not_safe: frozenset[str] | None = None) -> SentMessage | None:
    """Send one claimed message (start_send, then the send here). A failure is written (flushed; the caller
    commits); an accepted message is returned, for `record_sent` to store at once."""
    send = start_send(message, sender, worker_id, report, opted_out, nothing_sent_since, look_up, not_safe)
    if not isinstance(send, PendingSend):
        return send
    outcome = send()
    if isinstance(outcome, SendFailure):
        _record_failure(message, worker_id, report, outcome)
        return None
    return outcome


def start_send(message: OutboundMessage, sender: SmsSender, worker_id: str,
               report: DeliveryReport, opted_out: frozenset[str] | None = None,
               nothing_sent_since: bool = False,
               look_up: Callable[[str], NumberBlocks] = number_blocks,
               not_safe: frozenset[str] | None = None) -> SentMessage | PendingSend | None:
    """Everything before a claimed message's send: the send to make (PendingSend), the SID Twilio already gave
    for a message in doubt (find_lost_send, to store at once: `record_sent`), or None when a cancel, a hold or a
    failure was written (flushed; the caller commits). `opted_out` and `not_safe`: the numbers
    among a batch that opted out and those not safe to text, read when the batch was claimed; any other number
    is looked up again just before its send (both in one statement), so that a STOP or a "not safe" stored while
    the batch's earlier messages were sent is honoured (by `look_up`: a batch's OptOutLookups, or a read in the
    caller's session, which starts each message in a transaction of its own). `nothing_sent_since`: the batch's
    first message, whose claim's read is as recent as a look-up now would be (no send came between them): not
    looked up again. None: looked up now. An opted-out number gets only the STOP's confirmation; a number not
    safe to text gets no text we started."""
    now = utcnow()
    honours, started = honours_opt_out(message.purpose), started_by_us(message.purpose)
    if honours and opted_out is not None and message.to_hash in opted_out:
        _cancel(message, worker_id, report, OPTED_OUT_NOTE)
        return None
    if started and not_safe is not None and message.to_hash in not_safe:
        _cancel(message, worker_id, report, NOT_SAFE_NOTE)
        return None
    if (honours or started) and not (nothing_sent_since and opted_out is not None and not_safe is not None):
        blocks = look_up(message.to_hash)
        if honours and blocks.opted_out:
            _cancel(message, worker_id, report, OPTED_OUT_NOTE)
            return None
        if started and blocks.not_safe:
            _cancel(message, worker_id, report, NOT_SAFE_NOTE)
            return None
    if needs_session(message) and not session_open(last_inbound(message.to_hash), now) and _hold(
            message, worker_id, report, now):
        return None
    attempts = message.attempts + 1
    to = twilio_address(decrypt_text(message.to_encrypted), message.channel)
    if message.in_doubt_since is not None:
        try:
            found = find_lost_send(message, sender, to)
        except SendError as error:
            _record_failure(message, worker_id, report, SendFailure(error, attempts, now))
            return None
        if found is not None:
            return found
    reference = SendReference(message.id, message.claimed_at) if message.claimed_at is not None else None
    return PendingSend(sender, message.id, to, message.text, message.content_sid, reference, attempts, now)


# How far before a send in doubt Twilio's record of it may be dated: our workers' clocks are within a minute of the
# database's (OUTBOX_MAX_CLOCK_SKEW_SECONDS), Twilio's keeps true time.
LOOKUP_MARGIN = dt.timedelta(minutes=2)


def find_lost_send(message: OutboundMessage, sender: SmsSender, to: str) -> SentMessage | None:
    """Before sending again a message in doubt: the send of it Twilio accepted, if Twilio lists one (same address,
    same text, since the doubt began) whose SID no row holds. Raises SendError when Twilio cannot be asked: the
    message then waits (see the module's docstring)."""
    assert message.in_doubt_since is not None
    found = sender.find_sent(to, message.text, message.in_doubt_since - LOOKUP_MARGIN)
    if not found:
        return None
    held = set(db.session.scalars(select(OutboundMessage.provider_sid)
                                  .where(OutboundMessage.provider_sid.in_([item.sid for item in found]))))
    for item in found:
        if item.sid not in held:
            log.warning("outbox message %s: Twilio had accepted it (SID %s); recorded, not sent again", message.id,
                        item.sid)
            return SentMessage(message.id, item.sid, max(message.attempts, 1), item.created or utcnow(),
                               (item.status, item.error_code))
    return None


def _hold(message: OutboundMessage, worker_id: str, report: DeliveryReport, now: dt.datetime) -> bool:
    """Outside the session window: hold the message and owe the template, under the session's lock (the
    caller commits). False when, under the lock, the window turns out open: the citizen has just written, and
    the lock is released before the message is sent."""
    session = lock_session_for(message)
    if session_open(session.last_inbound_at, now):
        db.session.commit()
        return False
    if _finish(message, worker_id, status=OutboxStatus.PENDING, held_since=now):
        report.held += 1
        queue_session_template(session, message)
    else:
        report.lost_claims += 1
    return True


def _record_failure(message: OutboundMessage, worker_id: str, report: DeliveryReport,
                    failure: SendFailure) -> None:
    error, attempts, now = failure.error, failure.attempts, failure.now
    next_attempt = now + backoff(attempts)
    give_up = error.permanent or next_attempt > retry_deadline(message)
    if error.code == UNSUBSCRIBED_ERROR_CODE:
        record_opt_out(message.to_hash, "carrier")
    log.warning("outbox message %s: %s (attempt %s%s)", message.id, error.reason, attempts,
                ", giving up" if give_up else "")
    reason = error.reason
    # Twilio may hold the message: in doubt from this claim on (or since an earlier doubt, still unresolved).
    in_doubt = message.in_doubt_since or (message.claimed_at if error.maybe_sent else None)
    if give_up and in_doubt is not None and reason != UNREADABLE_ANSWER:
        reason = f"{reason}; it may have been sent"
    values = {"attempts": attempts, "last_error": reason[:500], "last_error_code": error.code,
              "in_doubt_since": in_doubt}
    if give_up:
        _count(report, "failed", _finish(message, worker_id, status=OutboxStatus.FAILED, **values))
    else:
        _count(report, "retrying", _finish(message, worker_id, status=OutboxStatus.PENDING,
                                           next_attempt_at=next_attempt, **values))


@functools.lru_cache(maxsize=32)
def _store_sids_statement(count: int) -> Update:
    """The UPDATE that stores `count` SIDs, built once per batch size (a batch is CLAIM_BATCH messages or fewer, so
    a few sizes come back again and again): each message's values are bound as :id_<n>, :sid_<n>, :attempts_<n>
    and :sent_at_<n>, typed as the values themselves would be, and the ids as :ids. No name is a column's: an
    UPDATE would take it as a value to set. Each row returned also says whether any delivery status waits in
    early_delivery_statuses (usually none), so that looking for the ones to apply costs no statement of its own."""
    def by_message(name: str, type_: TypeEngine[Any]) -> Case[Any]:
        return case({bindparam(f"id_{n}", type_=Integer()): bindparam(f"{name}_{n}", type_=type_)
                     for n in range(count)}, value=OutboundMessage.id)

    return (update(OutboundMessage)
            .where(OutboundMessage.id.in_(bindparam("ids", expanding=True)), OutboundMessage.provider_sid.is_(None))
            .values(status=OutboxStatus.SENT, provider_sid=by_message("sid", String()),
                    attempts=by_message("attempts", Integer()), sent_at=by_message("sent_at", DateTime()),
                    claimed_by=None, claimed_at=None, last_error=None, last_error_code=None, in_doubt_since=None)
            .returning(OutboundMessage.id, exists(select(EarlyDeliveryStatus.provider_sid)).label("early"))
            .execution_options(synchronize_session=False))


@functools.cache
def _store_sids_in_arrays() -> Update:
    """PostgreSQL: the same UPDATE with the batch's ids, SIDs, attempts and send times in four arrays, unnested
    side by side. One statement for every batch size, of a few parameters: psycopg parses again, for every
    execution, a statement of more than 50 parameters or 4 KB, which the CASE form is from six messages on (a
    batch of 32: 166 parameters, 6.8 KB)."""
    given = select(func.unnest(bindparam("ids", type_=ARRAY(Integer()))).label("id"),
                   func.unnest(bindparam("sids", type_=ARRAY(String()))).label("sid"),
                   func.unnest(bindparam("attempts", type_=ARRAY(Integer()))).label("attempts"),
                   func.unnest(bindparam("sent_ats", type_=ARRAY(DateTime(timezone=True)))).label("sent_at"),
                   ).subquery("given")
    return (update(OutboundMessage)
            .where(OutboundMessage.id == given.c.id, OutboundMessage.provider_sid.is_(None))
            .values(status=OutboxStatus.SENT, provider_sid=given.c.sid, attempts=given.c.attempts,
                    sent_at=given.c.sent_at, claimed_by=None, claimed_at=None, last_error=None, last_error_code=None,
                    in_doubt_since=None)
            .returning(OutboundMessage.id, exists(select(EarlyDeliveryStatus.provider_sid)).label("early"))
            .execution_options(synchronize_session=False))


def _store_sids(sent: list[SentMessage]) -> set[int]:
    """Write the SIDs of a batch (see _write_sids) and commit. Returns the ids stored."""
    stored = _write_sids(sent)
    db.session.commit()
    _log_not_stored(sent, stored)
    return stored


def _log_not_stored(sent: list[SentMessage], stored: set[int]) -> None:
    for item in sent:
        if item.message_id not in stored:
            log.error("outbox message %s already had a provider SID; SID %s not stored", item.message_id,
                      item.provider_sid)


def _write_sids(sent: list[SentMessage]) -> set[int]:
    """Write the SIDs of a batch in one UPDATE, whoever holds the claims now: the messages were sent, and a row
    with a SID is never sent again. Flushes; the caller commits. Returns the ids stored; a row left out already
    had a SID (another worker sent it too after the claim went stale, or an earlier try's commit went through
    although its answer was lost)."""
    by_id = {item.message_id: item for item in sent}
    returned = db.session.execute(*_sids_statement_and_params(list(by_id.values()))).all()
    stored = {message_id for message_id, _ in returned}
    if len(stored) < len(by_id):  # a status callback naming the send may have stored the same SID first
        rows = db.session.execute(select(OutboundMessage.id, OutboundMessage.provider_sid)
                                  .where(OutboundMessage.id.in_(set(by_id) - stored)))
        stored |= {message_id for message_id, sid in rows if sid == by_id[message_id].provider_sid}
    reported = False
    for item in sent:
        if item.reported is not None:
            keep_reported_status(item.provider_sid, *item.reported)
            reported = True
    # Statuses Twilio reported before these SIDs were stored. One kept after the UPDATE began is applied by the
    # next round's apply_early_statuses (deliver_due_messages), as one kept after this commit always was.
    if reported or not returned or returned[0].early:
        apply_early_statuses()
    return stored


def _sids_statement_and_params(sent: list[SentMessage]) -> tuple[Update, dict[str, Any]]:
    """The UPDATE that stores these SIDs (one per message) on this database, and its parameters."""
    if db.session.get_bind().dialect.name == "postgresql":
        return _store_sids_in_arrays(), {"ids": [item.message_id for item in sent],
                                         "sids": [item.provider_sid for item in sent],
                                         "attempts": [item.attempts for item in sent],
                                         "sent_ats": [item.sent_at for item in sent]}
    params: dict[str, Any] = {"ids": [item.message_id for item in sent]}
    for n, item in enumerate(sent):
        params.update({f"id_{n}": item.message_id, f"sid_{n}": item.provider_sid, f"attempts_{n}": item.attempts,
                       f"sent_at_{n}": item.sent_at})
    return _store_sids_statement(len(sent)), params


def record_sent(sent: SentMessage, report: DeliveryReport, unrecorded: UnrecordedSends) -> None:
    """Store one SID now, with whatever else `unrecorded` holds (see UnrecordedSends.record)."""
    unrecorded.waiting.append(sent)
    unrecorded.record(report)


def _rollback_quietly() -> None:
    try:
        db.session.rollback()
    except DBAPIError:  # the connection is gone; the pool replaces it on the next use
        pass


def _cancel(message: OutboundMessage, worker_id: str, report: DeliveryReport, note: str) -> None:
    _count(report, "cancelled", _finish(message, worker_id, status=OutboxStatus.CANCELLED, last_error=note))


def _count(report: DeliveryReport, outcome: str, stored: bool) -> None:
    if stored:
        setattr(report, outcome, getattr(report, outcome) + 1)
    else:
        report.lost_claims += 1


class OptOutLookups:
    """How a claimed batch looks each number's opt-out and "not safe to text" up just before its send
    (messaging.queries.NUMBER_BLOCKS: both in one statement). PostgreSQL: one statement in
    autocommit on a connection taken at the batch's first look-up and kept until its end, one round trip each;
    the same read in the session costs, every message, the pool's ping at checkout, a BEGIN and the ROLLBACK that
    ends the read. Each statement sees every opt-out committed before it began, as the session's read did (READ
    COMMITTED). SQLite: the session's read (pysqlite begins no transaction for a SELECT)."""

    def __init__(self) -> None:
        self._connection: Connection | None = None

    def __call__(self, to_hash: str) -> NumberBlocks:
        if db.session.get_bind().dialect.name != "postgresql":
            return number_blocks(to_hash)
        if self._connection is None:
            self._connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            opted_out, not_safe = self._connection.execute(NUMBER_BLOCKS, {"phone_hash": to_hash}).one()
            return NumberBlocks(bool(opted_out), bool(not_safe))
        except Exception:
            self.close()  # the next look-up starts on a fresh connection
            raise

    def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            try:
                connection.close()
            except DBAPIError:  # the connection is gone; the pool replaces it
                pass


# Messages claimed per transaction: one claim for the batch, and after their sends one UPDATE for all their SIDs,
# committed with the next batch's claim. A worker killed between the sends and that commit leaves up to this many
# messages sent without a SID, sent again when their claims go stale. With sends in flight together, twice as many
# as may be in flight (claim_batch), so that the threads stay busy while the batch's slowest sends end.
CLAIM_BATCH = 10


def claim_batch() -> int:
    return max(CLAIM_BATCH, 2 * send_concurrency())


def deliver_due_messages(sender: SmsSender, worker_id: str, limit: int = 100, to_hash: str | None = None,
                         unrecorded: UnrecordedSends | None = None) -> DeliveryReport:
    """Record the SIDs the worker still holds, then claim due messages a batch at a time (one commit per
    claim), send them, OUTBOX_SEND_CONCURRENCY at once (messaging/in_flight.py), and record the batch's SIDs
    together. A database error while recording SIDs is raised, the SIDs kept in `unrecorded` (pass the same one
    on the next call)."""
    report = DeliveryReport()
    unrecorded = unrecorded if unrecorded is not None else UnrecordedSends()
    unrecorded.record(report)
    if apply_early_statuses():  # reported while a concurrent transaction was storing their SIDs (PostgreSQL)
        db.session.commit()
    taken, size, concurrency = 0, claim_batch(), send_concurrency()
    while taken < limit:
        # The SIDs of the batch just sent are recorded with this claim (none before the first).
        messages, opted_out, not_safe = unrecorded.record_and_claim(report, worker_id, min(size, limit - taken),
                                                                    to_hash)
        if not messages:
            break
        taken += len(messages)
        _send_batch(messages, sender, worker_id, report, opted_out, not_safe, unrecorded, concurrency)
    unrecorded.record(report)  # the last batch's, when `limit` ended the loop before another claim
    return report


def _send_batch(messages: list[OutboundMessage], sender: SmsSender, worker_id: str, report: DeliveryReport,
                opted_out: frozenset[str], not_safe: frozenset[str], unrecorded: UnrecordedSends,
                concurrency: int) -> None:
    look_up = OptOutLookups()
    first = messages[0].id
    try:
        send_all(messages,
                 lambda message: _start_claimed(message, sender, worker_id, report, opted_out, message.id == first,
                                                look_up, not_safe, unrecorded),
                 lambda message, outcome: _settle(message, outcome, worker_id, report, unrecorded),
                 lambda message: message.to_hash, concurrency)
    finally:
        look_up.close()


def _start_claimed(message: OutboundMessage, sender: SmsSender, worker_id: str, report: DeliveryReport,
                   opted_out: frozenset[str], nothing_sent_since: bool, look_up: OptOutLookups,
                   not_safe: frozenset[str], unrecorded: UnrecordedSends) -> PendingSend | None:
    """start_send, committed; the send to make, if any. A message whose claim is too old to start is let go."""
    message_id = message.id
    try:
        if _claim_too_old(message):
            _let_go(message, worker_id, report)
            return None
        send = start_send(message, sender, worker_id, report, opted_out, nothing_sent_since, look_up, not_safe)
        if send is None:
            db.session.commit()
            return None
        if isinstance(send, PendingSend) and _claim_too_old(message):
            # Paused during the look-ups (a message in doubt asks Twilio's list): checked again just before the
            # send, as another worker may take the claim over and send the text once it is stale.
            _let_go(message, worker_id, report)
            return None
        _rollback_quietly()  # nothing written: end the read, so that the next message reads afresh (a STOP)
    except Exception as exc:  # one bad row must not stop the worker; its claim goes stale and is retried
        _failed_to_process(message_id, exc, report)
        return None
    if isinstance(send, SentMessage):
        unrecorded.waiting.append(send)
        return None
    return send


def _let_go(message: OutboundMessage, worker_id: str, report: DeliveryReport) -> None:
    """A claim too old to start, back to the queue; if another worker has already taken it over, a lost claim."""
    if not _finish(message, worker_id, status=OutboxStatus.PENDING):
        report.lost_claims += 1
    db.session.commit()


def _claim_too_old(message: OutboundMessage) -> bool:
    """Whether a claimed message waited past half the claim timeout to start (for a thread, behind the batch's
    look-ups in Twilio's list, one after the other for messages in doubt). Its own look-up and send, each up to
    TWILIO_TIMEOUT_SECONDS, and the workers' clock skew could then end after its claim goes stale, when another
    worker may claim and send it too. It is let go, for the next claim."""
    claimed_at = message.claimed_at
    return claimed_at is not None and utcnow() - claimed_at > claim_timeout() / 2


def _settle(message: OutboundMessage, outcome: Future[SentMessage | SendFailure], worker_id: str,
            report: DeliveryReport, unrecorded: UnrecordedSends) -> None:
    """What a send ended with: an accepted message's SID held from now on (a database error, or a stop, still
    records it), a failure written and committed."""
    try:
        result = outcome.result()
        if isinstance(result, SentMessage):
            unrecorded.waiting.append(result)
            return
        _record_failure(message, worker_id, report, result)
        db.session.commit()
    except Exception as exc:
        _failed_to_process(message.id, exc, report)


def _failed_to_process(message_id: int, exc: Exception, report: DeliveryReport) -> None:
    _rollback_quietly()
    log.exception("outbox message %s could not be processed", message_id, exc_info=exc)
    report.errors.append(type(exc).__name__)
