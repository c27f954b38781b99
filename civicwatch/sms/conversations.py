"""The rows behind an SMS conversation, read and written with statements built once: the worker's hot path.

Each inbound text costs a handful of round trips: record its MessageSid, lock the phone's conversation
(reading the opt-out, the chosen language and the case waiting for an answer with it), save the next state,
store the reply. The statements are module constants, so SQLAlchemy reuses their compiled form instead of
building and compiling them per request. They run in the session's transaction; the caller commits. A worker
answering a batch of texts in one transaction saves the conversations and stores the replies of the whole batch
together (BatchWrites): two statements for the batch instead of two per text.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import (
    Column,
    ColumnElement,
    Insert,
    Integer,
    LargeBinary,
    ScalarSelect,
    Table,
    and_,
    bindparam,
    exists,
    insert,
    or_,
    select,
    text,
    update,
)

from civicwatch.cases.models import Case, CaseEvent, CaseMessage, MessageKind
from civicwatch.cases.queries import OPEN_STATUSES
from civicwatch.crypto import encrypt_text
from civicwatch.database import UTCDateTime
from civicwatch.extensions import db
from civicwatch.messaging.models import NotSafeToText, PhoneLanguage, SmsOptOut
from civicwatch.sms.models import ConversationState, InboundSms, SmsConversation

# Declared as FromClause on the declarative base; a mapped class's is a Table.
_INBOUND = cast(Table, InboundSms.__table__)
_CONVERSATIONS = cast(Table, SmsConversation.__table__)


@dataclass(frozen=True)
class ConversationRow:
    id: int
    state: ConversationState
    pending_encrypted: bytes | None
    pending_since: dt.datetime | None
    case_id: int | None
    last_message_at: dt.datetime | None
    opted_out: bool
    language: str | None = None  # as the number chose it (LANG), whether or not still offered
    # The phone's open case whose body asked the complainant something since the phone's previous text (the
    # latest question first; then a question whose clock the worker ran again, unanswered): a report text
    # answers it.
    waiting_case_id: int | None = None


# INSERT ... ON CONFLICT DO NOTHING RETURNING reads the same on SQLite (3.35+) and PostgreSQL. A concurrent
# first attempt at the same MessageSid makes it wait (PostgreSQL: on the unique index; SQLite: on the write
# lock, which this statement takes, so everything after it runs serialised) until that attempt commits.
_CLAIM_SID = text(
    "INSERT INTO inbound_sms (message_sid, phone_hash, received_at, body_encrypted) "
    "VALUES (:sid, :phone_hash, :received_at, :body) ON CONFLICT (message_sid) DO NOTHING RETURNING id"
).bindparams(bindparam("received_at", type_=UTCDateTime()), bindparam("body", type_=LargeBinary())).columns(
    id=Integer)


def _insert_unless_there(table: Table, unique: Column[Any]) -> Insert:
    """INSERT ... ON CONFLICT (unique) DO NOTHING, which SQLite and PostgreSQL write alike, as a standard INSERT
    with the clause after its VALUES. SQLAlchemy 2.0's dialect INSERT constructs (postgresql.insert, sqlite.insert)
    have no cache key, so a statement built with their on_conflict_do_nothing is compiled again at every execution;
    the standard INSERT renders the same clause there and is compiled once (the clause's text is in its cache key)."""
    statement = insert(table)
    statement._post_values_clause = text(f"ON CONFLICT ({unique.name}) DO NOTHING")
    return statement


# A batch's MessageSids in one INSERT (insertmanyvalues renders one VALUES list for them all), each waiting, as
# above, for a concurrent first attempt at it. RETURNING names the MessageSid: rows that conflicted return nothing.
_CLAIM_SIDS = _insert_unless_there(_INBOUND, _INBOUND.c.message_sid).returning(_INBOUND.c.message_sid, _INBOUND.c.id)

_STORED_REPLY = select(_INBOUND.c.reply_encrypted).where(_INBOUND.c.message_sid == bindparam("sid"))

_RECORD_REPLY = update(_INBOUND).where(_INBOUND.c.id == bindparam("inbound_id")).values(
    event=bindparam("new_event"), case_id=bindparam("new_case_id"), reply_encrypted=bindparam("reply"),
    replied_at=bindparam("now"),
)

_CASES = cast(Table, Case.__table__).c
_EVENTS = cast(Table, CaseEvent.__table__).c
_MESSAGES = cast(Table, CaseMessage.__table__).c
_OPT_OUTS = cast(Table, SmsOptOut.__table__).c
_LANGUAGES = cast(Table, PhoneLanguage.__table__).c
_NOT_SAFE = cast(Table, NotSafeToText.__table__).c


def _question_left_open(*since_last_text: ColumnElement[bool]) -> ColumnElement[bool]:
    """The worker ran the case's clock again after DEADLINE_WAIT_MAX_WORKING_DAYS without an answer (a
    clock_resumed event of no user; staff who run it again themselves close the question), and the complainant
    has written nothing to the case since: the question is still open, only the clock no longer waits for it."""
    answered_since = exists().where(_MESSAGES.case_id == _EVENTS.case_id,
                                    _MESSAGES.kind == MessageKind.FROM_COMPLAINANT,
                                    _MESSAGES.created_at > _EVENTS.created_at)
    return and_(_CASES.waiting_since.is_(None), exists().where(
        _EVENTS.case_id == _CASES.id, _EVENTS.kind == "clock_resumed", _EVENTS.user_id.is_(None),
        ~answered_since, *since_last_text))


# The case said its phone is not safe to text, so it is not the phone's to reach (STATUS, a reference, a rating, an
# appeal, an answer): others read the phone's texts, and whoever texts from it may be the person complained about.
# Only its receipt code opens it. Used by every read of "the phone's cases" (here and sms.queries).
SAID_NOT_SAFE = exists().where(_NOT_SAFE.phone_hash == bindparam("phone_hash"), _NOT_SAFE.case_id == _CASES.id)


def _waiting_case(since_question: ColumnElement[bool] | None = None,
                  since_restart: ColumnElement[bool] | None = None) -> ScalarSelect[int]:
    asked: ColumnElement[bool] = _CASES.waiting_since.is_not(None)
    asked = and_(asked, since_question) if since_question is not None else asked
    left_open = _question_left_open(*([since_restart] if since_restart is not None else []))
    return (
        select(_CASES.id)
        .where(_CASES.contact_phone_hash == bindparam("phone_hash"), _CASES.status.in_(OPEN_STATUSES),
               or_(asked, left_open), ~SAID_NOT_SAFE)
        .order_by(_CASES.waiting_since.desc().nulls_last(), _CASES.id.desc())
        .limit(1)
        .scalar_subquery()
    )


_OPTED_OUT = exists().where(_OPT_OUTS.phone_hash == bindparam("phone_hash")).label("opted_out")
_LANGUAGE = select(_LANGUAGES.language).where(_LANGUAGES.phone_hash == bindparam("phone_hash")).scalar_subquery()
_ROW = (_CONVERSATIONS.c.id, _CONVERSATIONS.c.state, _CONVERSATIONS.c.pending_encrypted,
        _CONVERSATIONS.c.pending_since, _CONVERSATIONS.c.case_id, _CONVERSATIONS.c.last_message_at)

# On the tables rather than the mapped classes: a plain Core SELECT skips the ORM's execution (its autoflush
# included: lock_conversation flushes first itself). This module's statements run on the session's connection,
# not through session.execute: that would run the session's execute listeners (each walks the statement for the
# tables it touches, none of them these) for every text.
_LOCK_CONVERSATION = (
    select(
        *_ROW, _OPTED_OUT, _LANGUAGE.label("language"),
        _waiting_case(or_(_CONVERSATIONS.c.last_message_at.is_(None),
                          _CASES.waiting_since > _CONVERSATIONS.c.last_message_at),
                      or_(_CONVERSATIONS.c.last_message_at.is_(None),
                          _EVENTS.created_at > _CONVERSATIONS.c.last_message_at)).label("waiting_case_id"),
    )
    .where(_CONVERSATIONS.c.phone_hash == bindparam("phone_hash"))
    .with_for_update(of=_CONVERSATIONS)
)

# A phone's first text: the new row (locked by this transaction until it ends) and what the lock reads with it,
# in one statement; a phone that never texted has no last message, so any case waiting for it counts. RETURNING
# nothing: another transaction created it meanwhile, and the lock waits for it. The same on SQLite and PostgreSQL.
_CREATE_CONVERSATION = _insert_unless_there(_CONVERSATIONS, _CONVERSATIONS.c.phone_hash).values(
    phone_hash=bindparam("phone_hash"), phone_encrypted=bindparam("phone"), state=ConversationState.IDLE,
    created_at=bindparam("now"), updated_at=bindparam("now"),
).returning(*_ROW, _OPTED_OUT, _LANGUAGE.label("language"), _waiting_case().label("waiting_case_id"))

_SAVE_CONVERSATION = update(_CONVERSATIONS).where(_CONVERSATIONS.c.id == bindparam("conversation_id")).values(
    state=bindparam("new_state"), pending_encrypted=bindparam("new_pending"),
    pending_since=bindparam("new_pending_since"), case_id=bindparam("new_case_id"),
    last_message_at=bindparam("now"), updated_at=bindparam("now"),
)


@dataclass
class BatchWrites:
    """The conversation saves and stored replies of a batch of texts answered in one transaction, written together
    by `write_batch` before it commits. Each text's values are fixed when it is answered, so the rows end up as
    they would, written one by one. Nothing else in the transaction reads them back: a batch holds one text per
    sender, and a conversation locked again before its save was written (two senders of one number) has the
    batch's writes done first (see lock_conversation)."""

    conversations: dict[int, dict[str, Any]] = field(default_factory=dict)  # by conversation id
    replies: list[dict[str, Any]] = field(default_factory=list)
    # The batch's MessageSids recorded before its first text was answered (claim_message_sids): the inbound_sms
    # row of each, None for one recorded before (a duplicate). Taken by receive_sms as each text is answered.
    inbound_ids: dict[str, int | None] = field(default_factory=dict)


def write_batch(writes: BatchWrites) -> None:
    """Write what `writes` holds (one executemany per table) and empty it."""
    if writes.conversations:
        db.session.connection().execute(_SAVE_CONVERSATION, list(writes.conversations.values()))
        writes.conversations.clear()
    if writes.replies:
        db.session.connection().execute(_RECORD_REPLY, list(writes.replies))
        writes.replies.clear()


def claim_message_sid(message_sid: str, number_hash: str, body_encrypted: bytes, now: dt.datetime) -> int | None:
    """Record an inbound text's MessageSid; its row id, or None if the MessageSid was recorded before."""
    return db.session.connection().execute(_CLAIM_SID, {
        "sid": message_sid, "phone_hash": number_hash, "received_at": now, "body": body_encrypted,
    }).scalar()


def claim_message_sids(texts: list[dict[str, Any]], batch: BatchWrites) -> None:
    """Record several inbound texts' MessageSids in one statement, as claim_message_sid would one by one, and keep
    what each got in `batch.inbound_ids`. `texts`: message_sid, phone_hash, received_at and body_encrypted each."""
    if not texts:
        return
    recorded = dict(db.session.connection().execute(_CLAIM_SIDS, texts).tuples().all())
    batch.inbound_ids.update({text["message_sid"]: recorded.get(text["message_sid"]) for text in texts})


def stored_reply(message_sid: str) -> bytes | None:
    """The encrypted reply a recorded MessageSid got (None: it got no reply)."""
    row = db.session.connection().execute(_STORED_REPLY, {"sid": message_sid}).first()
    if row is None:  # a MessageSid that conflicted is committed; not finding it would be a bug
        raise RuntimeError("a recorded MessageSid cannot be read back")
    return row.reply_encrypted


def record_reply(inbound_id: int, event: str, case_id: int | None, reply_encrypted: bytes | None,
                 now: dt.datetime, batch: BatchWrites | None = None) -> None:
    """Store the reply a text got (with `batch`: when the batch is written)."""
    params = {"inbound_id": inbound_id, "new_event": event, "new_case_id": case_id, "reply": reply_encrypted,
              "now": now}
    if batch is not None:
        batch.replies.append(params)
    else:
        db.session.connection().execute(_RECORD_REPLY, params)


def lock_conversation(number_hash: str, phone: str, now: dt.datetime,
                      batch: BatchWrites | None = None) -> ConversationRow:
    """The phone's conversation, created if new, locked for this transaction (FOR UPDATE on PostgreSQL;
    SQLite holds its write lock already), with whether the number opted out, its language and the case waiting
    for its answer, in one statement. `batch`: the writes of the texts answered before this one in the
    transaction, not written yet; written first if this conversation's save is among them."""
    params = {"phone_hash": number_hash}
    db.session.flush()  # the case waiting for an answer, as this transaction left it
    row = db.session.connection().execute(_LOCK_CONVERSATION, params).first()
    if row is not None and batch is not None and row.id in batch.conversations:
        write_batch(batch)
        row = db.session.connection().execute(_LOCK_CONVERSATION, params).first()
    if row is None:
        row = db.session.connection().execute(_CREATE_CONVERSATION, {
            "phone_hash": number_hash, "phone": encrypt_text(phone), "now": now}).first()
    if row is None:
        row = db.session.connection().execute(_LOCK_CONVERSATION, params).one()
    return ConversationRow(
        id=row.id, state=ConversationState(row.state), pending_encrypted=row.pending_encrypted,
        pending_since=row.pending_since, case_id=row.case_id, last_message_at=row.last_message_at,
        opted_out=bool(row.opted_out), language=row.language, waiting_case_id=row.waiting_case_id,
    )


def save_conversation(conversation_id: int, state: ConversationState, pending_encrypted: bytes | None,
                      pending_since: dt.datetime | None, case_id: int | None, now: dt.datetime,
                      batch: BatchWrites | None = None) -> None:
    """Save a conversation's next state (with `batch`: when the batch is written)."""
    params = {
        "conversation_id": conversation_id, "new_state": state, "new_pending": pending_encrypted,
        "new_pending_since": pending_since, "new_case_id": case_id, "now": now,
    }
    if batch is not None:
        batch.conversations[conversation_id] = params
    else:
        db.session.connection().execute(_SAVE_CONVERSATION, params)
