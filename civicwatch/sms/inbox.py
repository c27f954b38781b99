"""The SMS inbox: Twilio's webhook stores each text here and acknowledges it; workers then answer it.

The webhook's only write is one row per MessageSid, committed before Twilio hears back, so a text is durable
the moment it is acknowledged and a burst of texts never waits on case writing or the classifier. A worker
(`civicwatch deliver`, or the simulator page) takes a batch of texts oldest first, never two from one sender
at once, runs each through `receive_sms` (dialogue, cases, MessageSid ledger), owes the reply through the
outbox and deletes the inbox row, the whole batch in one transaction: a worker that dies half-way leaves
the texts for the next one, and a text is answered once.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import Integer, Row, Update, bindparam, delete, exists, func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import aliased

from civicwatch.crypto import DecryptionError, decrypt_json, encrypt_json, encrypt_text, keyed_hash
from civicwatch.database import lost_to_another_transaction, refused_for_its_data, run_once, utcnow
from civicwatch.extensions import db
from civicwatch.messaging.models import TEXT_REPLY  # the outbox sends these even in quiet hours
from civicwatch.messaging.operations import (
    STOP_CONFIRMATION,
    owed_message,
    queue_owed_messages,
    queue_sms,
    record_opt_out,
)
from civicwatch.messaging.queries import messages_owed_since, phone_language
from civicwatch.phones import contact_hash, split_sender
from civicwatch.raw_statements import SingleRowInsert
from civicwatch.sms.conversations import BatchWrites, claim_message_sids, write_batch
from civicwatch.sms.dialogue import Event, classify, clean_text
from civicwatch.sms.models import InboxText
from civicwatch.sms.operations import IncomingSms, receive_sms
from civicwatch.sms.replies import Reply, render_reply
from civicwatch.taxonomy.cache import check_version_again

log = logging.getLogger(__name__)

# A text that fails this often is set aside (the sender is told to try again) so it cannot block the rest.
MAX_ATTEMPTS = 3
# Texts answered per transaction (at most one per sender): one claim, one audit chain link and one commit for
# all of them. SQLite has one writer at a time anyway, and a web report waits for a whole batch there: ten.
# PostgreSQL: a worker's whole round (sms.cli's BATCH), twenty. The audit chain's lock is taken at commit,
# after every row lock, and a batch holds no sender's conversation another worker can want (a sender's next
# text waits for the batch); the rows two batches may both write (a case's, a case count's) are few, so a
# deadlock between them is rare, and PostgreSQL breaks it by failing one batch, which is then answered one text
# per transaction. A web report waits for a batch only at its commit (the dashboard's counts and the chain's lock
# are taken then); what a batch holds throughout is its follow-ups' cases, for the batch's few tens of ms.
CLAIM_BATCH = {"sqlite": 10, "postgresql": 20}
SENDER_HASH_PURPOSE = "inbox-sender"

# The webhook's one statement. A retried MessageSid still waiting here changes nothing; one already
# answered is caught by the MessageSid ledger when a worker takes it.
_ACCEPT = SingleRowInsert(
    "sms_inbox", ("message_sid", "sender_hash", "payload_encrypted", "received_at", "attempts"), key="message_sid")


@dataclass
class InboxReport:
    answered: int = 0
    failed: int = 0  # attempts that raised; the text stays for another try until MAX_ATTEMPTS
    set_aside: int = 0  # texts that reached MAX_ATTEMPTS on this run

    def __add__(self, other: InboxReport) -> InboxReport:
        return InboxReport(self.answered + other.answered, self.failed + other.failed,
                           self.set_aside + other.set_aside)


def accept_text(message_sid: str, sender: str, body: str, now: dt.datetime | None = None, media: int = 0) -> None:
    """Keep an inbound text until a worker answers it, committed before this returns (the webhook
    acknowledges it next). One row, its own transaction, outside the ORM session: the webhook's whole cost.
    `message_sid` must be a checked SID; the sender and the text only reach the database encrypted. `sender`
    is Twilio's From: "+232..." for an SMS, "whatsapp:+232..." for WhatsApp. `media`: how many files came
    with it (they are not fetched: the reply says so)."""
    _ACCEPT(db.engine, {
        "message_sid": message_sid,
        "sender_hash": keyed_hash(SENDER_HASH_PURPOSE, sender),
        "payload_encrypted": encrypt_json({"from": sender, "body": body, "media": media}),
        "received_at": now or utcnow(),
        "attempts": 0,
    })


def waiting_texts() -> int:
    """Texts waiting for a worker (those set aside: sms.set_aside)."""
    return db.session.scalar(select(func.count()).where(InboxText.attempts < MAX_ATTEMPTS)) or 0


def _claim_statement(dialect: str) -> Update:
    """The oldest texts whose senders have no older text still waiting (so at most one per sender), at most
    :limit, locked for this transaction.

    PostgreSQL: FOR UPDATE SKIP LOCKED, so workers pass each other; a sender's next text is not eligible
    while an older one is locked by another worker, so one sender's texts are answered in order. SQLite:
    the statement is an UPDATE, which takes the database's write lock before it reads.
    """
    older = aliased(InboxText)
    candidates = (
        select(InboxText.id)
        .where(InboxText.attempts < MAX_ATTEMPTS,
               ~exists().where(older.sender_hash == InboxText.sender_hash, older.id < InboxText.id,
                               older.attempts < MAX_ATTEMPTS))
        .order_by(InboxText.id)
        .limit(bindparam("limit", type_=Integer))
    )
    if dialect == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True, of=InboxText)
    return (
        update(InboxText).where(InboxText.id.in_(run_once(candidates, dialect)))
        .values(attempts=InboxText.attempts)
        .returning(InboxText.id, InboxText.message_sid, InboxText.payload_encrypted, InboxText.received_at)
        .execution_options(synchronize_session=False)
    )


# Built once per dialect, as the batch's DELETE: the worker runs them for every batch, and building a statement
# and its cache key cost more than running it.
_CLAIM = {dialect: _claim_statement(dialect) for dialect in ("postgresql", "sqlite")}
# The session holds no inbox row while a batch is answered (the claim returns rows, not objects): nothing to sync.
_DELETE_ANSWERED = (delete(InboxText).where(InboxText.id.in_(bindparam("ids", expanding=True)))
                    .execution_options(synchronize_session=False))


def _claim_batch(limit: int) -> list[Row]:
    """Up to `limit` waiting texts, locked for this transaction, oldest first (see _claim_statement)."""
    rows = db.session.execute(_CLAIM[db.session.get_bind().dialect.name], {"limit": limit}).all()
    return sorted(rows, key=lambda row: row.id)


@dataclass(frozen=True)
class _Text:
    """An inbox row, decrypted: who sent it (None: not a phone number) and what."""

    row: Row
    sender: tuple[str, str] | None  # (channel, E.164)
    payload: dict[str, Any]

    @property
    def number_hash(self) -> str | None:
        return contact_hash(self.sender[1], self.sender[0]) if self.sender is not None else None


def _read(row: Row) -> _Text:
    payload = decrypt_json(row.payload_encrypted)
    return _Text(row, split_sender(payload.get("from")), payload)


def _answer(text: _Text, batch: BatchWrites, replies_owed: dict[str, int]) -> dict[str, Any] | None:
    """Run one text through the dialogue and say what reply it is owed: the outbox row (owed_message), inserted
    with the batch's, or None. `replies_owed`: the automatic replies owed to each of the batch's numbers within
    the window (_replies_owed). Flushes only; the caller writes `batch`, owes the reply and deletes the inbox row
    in the same transaction."""
    row, payload = text.row, text.payload
    if text.sender is None:
        log.warning("inbound sms %s from a sender that is not a phone number; not answered", row.message_sid)
        return None
    channel, phone = text.sender
    outcome = receive_sms(IncomingSms(message_sid=row.message_sid, phone=phone, body=payload.get("body") or "",
                                      channel=channel, media=int(payload.get("media") or 0)),
                          now=row.received_at, batch=batch)
    if not outcome.reply or outcome.duplicate:
        return None
    if (not outcome.confirms_opt_out
            and replies_owed.get(contact_hash(phone, channel), 0) >= current_app.config["SMS_AUTO_REPLIES_PER_NUMBER"]):
        log.info("inbound sms %s: its number reached the cap of automatic replies; kept, not answered",
                 row.message_sid)
        return None
    case_id = outcome.case.id if outcome.case is not None else None
    return owed_message(phone, outcome.reply, STOP_CONFIRMATION if outcome.confirms_opt_out else TEXT_REPLY, case_id,
                        channel, opted_out=outcome.opted_out)


def _ledger_row(text: _Text) -> dict[str, Any]:
    """The text's row in the MessageSid ledger, as receive_sms records it."""
    return {"message_sid": text.row.message_sid, "phone_hash": text.number_hash, "received_at": text.row.received_at,
            "body_encrypted": encrypt_text(text.payload.get("body") or "")}


def _replies_owed(texts: list[_Text]) -> dict[str, int]:
    """How many automatic replies each of the batch's numbers was owed within SMS_AUTO_REPLY_WINDOW_MINUTES (an
    auto-responder or a script is not answered past SMS_AUTO_REPLIES_PER_NUMBER), in one count for the batch.
    Counted in the outbox, so every worker sees the same count; read before the batch's texts are answered, which
    changes none of them: only the inbox owes these replies, a number's texts are answered one at a time, a batch
    holds one text per sender, and its replies are owed together after its last text."""
    since = utcnow() - dt.timedelta(minutes=current_app.config["SMS_AUTO_REPLY_WINDOW_MINUTES"])
    return messages_owed_since({number_hash for text in texts if (number_hash := text.number_hash) is not None},
                               TEXT_REPLY, since)


def _tell_sender_it_was_set_aside(row: InboxText) -> None:
    """Ask the sender to try again, if the text can still be read. A STOP is honoured all the same:
    whatever else failed, the number opted out and gets the confirmation instead."""
    try:
        payload = decrypt_json(row.payload_encrypted)
    except (DecryptionError, ValueError):
        return
    sender = split_sender(payload.get("from"))
    if sender is None:
        return
    channel, phone = sender
    phone_hash = contact_hash(phone, channel)
    with force_locale(phone_language(phone_hash)):
        if classify(clean_text(payload.get("body")))[0] is Event.STOP:
            record_opt_out(phone_hash, "keyword")
            queue_sms(phone, render_reply(Reply.STOPPED), STOP_CONFIRMATION, channel=channel)
            return
        queue_sms(phone, render_reply(Reply.NOT_ACCEPTED), TEXT_REPLY, channel=channel)


def process_inbox(limit: int = 100) -> InboxReport:
    """Answer up to `limit` waiting texts, a batch per transaction."""
    report = InboxReport()
    batch = CLAIM_BATCH.get(db.session.get_bind().dialect.name, 1)
    singles = 0  # claims left to make one text each
    while report.answered + report.failed < limit:
        rows = _claim_batch(min(1 if singles else batch, limit - report.answered - report.failed))
        if not rows:
            db.session.commit()
            break
        singles = max(singles - 1, 0)
        outcome = _answer_batch(rows)
        report.answered += outcome.answered
        if outcome.failed is not None:
            report.failed += 1
            report.set_aside += _note_failure(*outcome.failed)
        if outcome.one_at_a_time:
            # As many claims of one text as the batch had (the oldest texts: the batch's own, unless another
            # worker took some), so that a failure names its text and two workers that deadlocked do not again;
            # the texts behind them go in batches again.
            singles = len(rows)
    return report


@dataclass
class _BatchOutcome:
    answered: int = 0
    failed: tuple[int, str] | None = None  # (inbox row, error name) of the text that failed
    one_at_a_time: bool = False


def _answer_batch(rows: list[Row]) -> _BatchOutcome:
    """Answer the texts in order and commit them together, their MessageSids recorded first, in one statement, and
    the replies owed to their numbers counted in one. When one raises, the whole batch is rolled back:
    the texts before it go back to the inbox untouched (answered on the next claim), and it alone is
    counted as failed."""
    replies: list[dict[str, Any]] = []
    writes = BatchWrites()
    texts: list[_Text] = []
    for row in rows:
        try:
            texts.append(_read(row))
        except Exception as exc:  # unreadable: rolled back like a text that fails below, tried again, set aside
            db.session.rollback()
            log.exception("inbound sms %s could not be answered", row.id)
            return _BatchOutcome(failed=(row.id, type(exc).__name__))
    try:
        replies_owed = _replies_owed(texts)
        claim_message_sids([_ledger_row(text) for text in texts if text.sender is not None], writes)
    except Exception as exc:  # which text it was is found by answering them one at a time
        return _batch_not_written(exc, rows, "recorded")
    for text in texts:
        row = text.row
        check_version_again()  # another process may have changed the rules since the batch's last text
        try:
            reply = _answer(text, writes, replies_owed)
            db.session.flush()
        except OperationalError as error:
            # The database (a restart, the network), not the text: nothing is counted against it, and the
            # deliver loop waits and tries again. A batch that lost a deadlock is taken again text by text. Data
            # of the text's that the database refuses past one of its limits fails at every try: the text's.
            db.session.rollback()
            if lost_to_another_transaction(error) and len(rows) > 1:
                return _BatchOutcome(one_at_a_time=True)
            if not refused_for_its_data(error):
                raise
            log.exception("inbound sms %s could not be answered", row.id)
            return _BatchOutcome(failed=(row.id, type(error).__name__))
        except Exception as exc:  # one bad text must not stop the worker; it is tried again, then set aside
            db.session.rollback()
            log.exception("inbound sms %s could not be answered", row.id)
            return _BatchOutcome(failed=(row.id, type(exc).__name__))
        if reply is not None:
            replies.append(reply)
    try:
        # The conversations' saves and the stored replies of every text, two statements for the batch.
        write_batch(writes)
        # The batch holds at most one text per sender, so owing the replies together keeps each number's order.
        queue_owed_messages(replies)
        db.session.execute(_DELETE_ANSWERED, {"ids": [row.id for row in rows]})
        db.session.commit()
    except Exception as exc:
        return _batch_not_written(exc, rows, "committed")
    return _BatchOutcome(answered=len(rows))


def _batch_not_written(error: Exception, rows: list[Row], step: str) -> _BatchOutcome:
    """After a batch's shared write failed (its MessageSids recorded or its commit), rolled back. A database error
    is raised for the deliver loop to wait and try again, unless a batch of several lost to another transaction
    (then answered again one text at a time); any other error, and a text's data that the database refused: a
    batch of several is answered again one text at a time, a lone text's failure counts against it."""
    db.session.rollback()
    if isinstance(error, OperationalError) and not refused_for_its_data(error):
        if lost_to_another_transaction(error) and len(rows) > 1:
            return _BatchOutcome(one_at_a_time=True)
        raise error
    if len(rows) > 1:
        log.warning("a batch of inbound sms could not be %s (%s); answering one at a time", step, type(error).__name__)
        return _BatchOutcome(one_at_a_time=True)
    log.exception("inbound sms %s could not be answered", rows[0].id, exc_info=error)
    return _BatchOutcome(failed=(rows[0].id, type(error).__name__))


def _note_failure(row_id: int, error_name: str) -> int:
    """Count a failed attempt; at MAX_ATTEMPTS tell the sender to try again. 1 if the text was set aside."""
    try:
        row = db.session.get(InboxText, row_id, populate_existing=True)
        if row is None:
            return 0
        row.attempts += 1
        row.last_error = error_name[:200]
        set_aside = row.attempts >= MAX_ATTEMPTS
        if set_aside:
            row.set_aside_at = utcnow()  # kept SMS_SET_ASIDE_KEEP_DAYS from now (sms.set_aside)
            _tell_sender_it_was_set_aside(row)
        db.session.commit()
        return int(set_aside)
    except Exception as exc:
        db.session.rollback()
        log.error("could not record the failure of inbound sms %s (%s)", row_id, type(exc).__name__)
        return 0

