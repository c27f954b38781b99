"""The rows behind an SMS conversation, read and written with statements built once: the worker's hot path.

Each inbound text costs a handful of round trips: record its MessageSid, lock the phone's conversation
(reading the opt-out, the chosen language and the case waiting for an answer with it), save the next state,
store the reply. The statements are module constants, so SQLAlchemy reuses their compiled form instead of
building and compiling them per request. They run in the session's transaction; the caller commits.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Integer, LargeBinary, Table, bindparam, exists, or_, select, text, update

from civicwatch.cases.models import Case
from civicwatch.cases.queries import OPEN_STATUSES
from civicwatch.crypto import encrypt_text
from civicwatch.database import UTCDateTime
from civicwatch.extensions import db
from civicwatch.messaging.models import PhoneLanguage, SmsOptOut
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
    # latest question first): a report text answers it.
    waiting_case_id: int | None = None


# INSERT ... ON CONFLICT DO NOTHING RETURNING reads the same on SQLite (3.35+) and PostgreSQL. A concurrent
# first attempt at the same MessageSid makes it wait (PostgreSQL: on the unique index; SQLite: on the write
# lock, which this statement takes, so everything after it runs serialised) until that attempt commits.
_CLAIM_SID = text(
    "INSERT INTO inbound_sms (message_sid, phone_hash, received_at, body_encrypted) "
    "VALUES (:sid, :phone_hash, :received_at, :body) ON CONFLICT (message_sid) DO NOTHING RETURNING id"
).bindparams(bindparam("received_at", type_=UTCDateTime()), bindparam("body", type_=LargeBinary())).columns(
    id=Integer)

_STORED_REPLY = select(_INBOUND.c.reply_encrypted).where(_INBOUND.c.message_sid == bindparam("sid"))

_RECORD_REPLY = update(_INBOUND).where(_INBOUND.c.id == bindparam("inbound_id")).values(
    event=bindparam("new_event"), case_id=bindparam("new_case_id"), reply_encrypted=bindparam("reply"),
    replied_at=bindparam("now"),
)

_CREATE_CONVERSATION = text(
    "INSERT INTO sms_conversations (phone_hash, phone_encrypted, state, created_at, updated_at) "
    "VALUES (:phone_hash, :phone, :state, :now, :now) ON CONFLICT (phone_hash) DO NOTHING"
).bindparams(bindparam("phone", type_=LargeBinary()), bindparam("now", type_=UTCDateTime()))

_CASES = cast(Table, Case.__table__).c
_OPT_OUTS = cast(Table, SmsOptOut.__table__).c
_LANGUAGES = cast(Table, PhoneLanguage.__table__).c

_WAITING_CASE = (
    select(_CASES.id)
    .where(_CASES.contact_phone_hash == bindparam("phone_hash"), _CASES.status.in_(OPEN_STATUSES),
           _CASES.waiting_since.is_not(None),
           or_(_CONVERSATIONS.c.last_message_at.is_(None), _CASES.waiting_since > _CONVERSATIONS.c.last_message_at))
    .order_by(_CASES.waiting_since.desc(), _CASES.id.desc())
    .limit(1)
)

# On the tables rather than the mapped classes: a plain Core SELECT skips the ORM's execution (its autoflush
# included: lock_conversation flushes first itself).
_LOCK_CONVERSATION = (
    select(
        _CONVERSATIONS.c.id, _CONVERSATIONS.c.state, _CONVERSATIONS.c.pending_encrypted,
        _CONVERSATIONS.c.pending_since, _CONVERSATIONS.c.case_id, _CONVERSATIONS.c.last_message_at,
        exists().where(_OPT_OUTS.phone_hash == bindparam("phone_hash")).label("opted_out"),
        select(_LANGUAGES.language).where(_LANGUAGES.phone_hash == bindparam("phone_hash"))
        .scalar_subquery().label("language"),
        _WAITING_CASE.scalar_subquery().label("waiting_case_id"),
    )
    .where(_CONVERSATIONS.c.phone_hash == bindparam("phone_hash"))
    .with_for_update(of=_CONVERSATIONS)
)

_SAVE_CONVERSATION = update(_CONVERSATIONS).where(_CONVERSATIONS.c.id == bindparam("conversation_id")).values(
    state=bindparam("new_state"), pending_encrypted=bindparam("new_pending"),
    pending_since=bindparam("new_pending_since"), case_id=bindparam("new_case_id"),
    last_message_at=bindparam("now"), updated_at=bindparam("now"),
)


def claim_message_sid(message_sid: str, number_hash: str, body_encrypted: bytes, now: dt.datetime) -> int | None:
    """Record an inbound text's MessageSid; its row id, or None if the MessageSid was recorded before."""
    return db.session.execute(_CLAIM_SID, {
        "sid": message_sid, "phone_hash": number_hash, "received_at": now, "body": body_encrypted,
    }).scalar()


def stored_reply(message_sid: str) -> bytes | None:
    """The encrypted reply a recorded MessageSid got (None: it got no reply)."""
    row = db.session.execute(_STORED_REPLY, {"sid": message_sid}).first()
    if row is None:  # a MessageSid that conflicted is committed; not finding it would be a bug
        raise RuntimeError("a recorded MessageSid cannot be read back")
    return row.reply_encrypted


def record_reply(inbound_id: int, event: str, case_id: int | None, reply_encrypted: bytes | None,
                 now: dt.datetime) -> None:
    db.session.execute(_RECORD_REPLY, {"inbound_id": inbound_id, "new_event": event, "new_case_id": case_id,
                                       "reply": reply_encrypted, "now": now})


def lock_conversation(number_hash: str, phone: str, now: dt.datetime) -> ConversationRow:
    """The phone's conversation, created if new, locked for this transaction (FOR UPDATE on PostgreSQL;
    SQLite holds its write lock already), with whether the number opted out, its language and the case waiting
    for its answer, in one statement."""
    params = {"phone_hash": number_hash}
    db.session.flush()  # the case waiting for an answer, as this transaction left it
    row = db.session.execute(_LOCK_CONVERSATION, params).first()
    if row is None:
        db.session.execute(_CREATE_CONVERSATION, {"phone_hash": number_hash, "phone": encrypt_text(phone),
                                                  "state": ConversationState.IDLE.value, "now": now})
        row = db.session.execute(_LOCK_CONVERSATION, params).one()
    return ConversationRow(
        id=row.id, state=ConversationState(row.state), pending_encrypted=row.pending_encrypted,
        pending_since=row.pending_since, case_id=row.case_id, last_message_at=row.last_message_at,
        opted_out=bool(row.opted_out), language=row.language, waiting_case_id=row.waiting_case_id,
    )


def save_conversation(conversation_id: int, state: ConversationState, pending_encrypted: bytes | None,
                      pending_since: dt.datetime | None, case_id: int | None, now: dt.datetime) -> None:
    db.session.execute(_SAVE_CONVERSATION, {
        "conversation_id": conversation_id, "new_state": state, "new_pending": pending_encrypted,
        "new_pending_since": pending_since, "new_case_id": case_id, "now": now,
    })
