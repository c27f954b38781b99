"""The outbox's writes: messages owed, opt-outs (STOP), retries and delivery reports, in the caller's transaction.
Flush, never commit."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any, cast

from flask import current_app
from flask_babel import gettext
from sqlalchemy import Table, and_, case, delete, or_, select, update

from civicwatch.accounts.models import User
from civicwatch.audit.operations import record_audit
from civicwatch.crypto import encrypt_text
from civicwatch.database import upsert_insert, utcnow
from civicwatch.errors import ConflictError
from civicwatch.extensions import db
from civicwatch.messaging.models import (
    REPLY_PURPOSES,
    STOP_CONFIRMATION,
    EarlyDeliveryStatus,
    NotSafeToText,
    OutboundMessage,
    OutboxStatus,
    PhoneLanguage,
    SmsOptOut,
)
from civicwatch.messaging.queries import NOT_SAFE_NOTE, is_opted_out, is_safe_to_text, said_not_safe_by_own_answer
from civicwatch.messaging.quiet_hours import awake_deadline, held_in_quiet_hours
from civicwatch.messaging.segments import split_for_sending
from civicwatch.messaging.senders import SendReference
from civicwatch.phones import SMS, TEXT_CHANNELS, contact_hash

log = logging.getLogger(__name__)

OPTED_OUT_NOTE = "not sent: the number texted STOP"


def honours_opt_out(purpose: str) -> bool:
    return purpose != STOP_CONFIRMATION


def started_by_us(purpose: str) -> bool:
    """Whether a message of this purpose is one we start (not a reply to the citizen's own text): it goes only to
    a number safe to text."""
    return purpose not in REPLY_PURPOSES


def max_age() -> dt.timedelta:
    return dt.timedelta(hours=current_app.config.get("OUTBOX_MAX_AGE_HOURS", 48))


def retry_deadline(message: OutboundMessage) -> dt.datetime:
    """Until when a failing message is tried again: its maximum age from when it was owed (or sent again), the
    quiet hours it had to wait out not counted."""
    age = max_age()
    retry_until = message.retry_until or (message.created_at + age)
    return awake_deadline(retry_until - age, age) if held_in_quiet_hours(message.purpose) else retry_until


def owed_message(phone_e164: str, text: str, purpose: str, case_id: int | None = None, channel: str = SMS,
                 opted_out: bool | None = None) -> dict[str, Any]:
    """The outbox row owing `phone_e164` a text on `channel` (SMS or WhatsApp), stored encrypted. A number that
    opted out (STOP) on that channel, or, for a text we start, one not safe to text, gets a cancelled row instead,
    kept so that staff can see the message was not sent. `opted_out`: whether it did, when the caller read it in this transaction (None: looked up here)."""
    now = utcnow()
    number_hash = contact_hash(phone_e164, channel)
    opted = honours_opt_out(purpose) and (is_opted_out(number_hash) if opted_out is None else opted_out)
    unsafe = not opted and started_by_us(purpose) and not is_safe_to_text(number_hash)
    return {
        "case_id": case_id,
        "channel": channel,
        "to_encrypted": encrypt_text(phone_e164),
        "to_hash": number_hash,
        "body_encrypted": encrypt_text(text),
        "purpose": purpose,
        "status": OutboxStatus.CANCELLED if opted or unsafe else OutboxStatus.PENDING,
        "last_error": OPTED_OUT_NOTE if opted else NOT_SAFE_NOTE if unsafe else None,
        "attempts": 0,
        "next_attempt_at": now,
        "retry_until": now + max_age(),
        "created_at": now,
    }


def queue_sms(phone_e164: str, text: str, purpose: str, case_id: int | None = None,
              channel: str = SMS, opted_out: bool | None = None) -> OutboundMessage:
    """Owe `phone_e164` a text (see owed_message); flushed, for callers that need the row (the first, when a text
    longer than Twilio takes is owed as several, in order: an answer or a reason may run to 2,000 characters)."""
    if opted_out is None:
        opted_out = is_opted_out(contact_hash(phone_e164, channel))
    messages = [OutboundMessage(**owed_message(phone_e164, part, purpose, case_id, channel, opted_out))
                for part in split_for_sending(text)]
    db.session.add_all(messages)  # inserted in this order: the ids, which order one number's texts, follow it
    db.session.flush()
    return messages[0]


# Declared as FromClause on the declarative base; a mapped class's is a Table.
_OUTBOX = cast(Table, OutboundMessage.__table__)


def queue_owed_messages(rows: list[dict[str, Any]]) -> None:
    """Owe several texts (owed_message's rows) in one statement, without ORM objects: the inbox worker owes a
    batch's replies so. Rows are inserted in the order given, so each number's texts keep their order."""
    if rows:
        db.session.execute(_OUTBOX.insert(), rows)


def retry_message(message: OutboundMessage, user: User) -> None:
    """An admin sends a failed message again: due now, retried for another maximum age. Refused for a number
    that texted STOP, unless it is the confirmation of that STOP, and for a text we started to a number not safe to
    text (the worker would cancel it; the reason is given only when it is the case's own answer)."""
    if message.status is not OutboxStatus.FAILED:
        raise ConflictError(gettext("Only a failed message can be sent again."))
    # The STOP confirmation is the one text an opted-out number still gets, so it may be sent again too.
    if honours_opt_out(message.purpose) and is_opted_out(message.to_hash):
        raise ConflictError(gettext("This number texted STOP: nothing may be sent to it until it texts START."))
    if started_by_us(message.purpose) and not is_safe_to_text(message.to_hash):
        # Why, only when it is the answer of the message's own case (or the phone's own, for no case): another
        # report's "no" for the number is not told.
        reported_from_number = message.case is not None and message.case.channel.value in TEXT_CHANNELS
        if said_not_safe_by_own_answer(message.to_hash, message.case_id, reported_from_number):
            raise ConflictError(gettext("The complainant said this phone is not safe to text: we do not text it "
                                        "first."))
        raise ConflictError(gettext("This number cannot receive the texts we start: the message is not sent again."))
    now = utcnow()
    before = {"status": message.status.value, "attempts": message.attempts, "last_error": message.last_error}
    message.status = OutboxStatus.PENDING
    message.next_attempt_at = now
    message.retry_until = now + max_age()
    message.claimed_by = None
    message.claimed_at = None
    # The SID of the send the carrier gave up on: a row with a SID is never sent again (delivery._due).
    message.provider_sid = None
    db.session.flush()
    record_audit(user, "outbox.retry", message, before=before, after={"status": message.status.value},
                 case=message.case)


_OPT_OUTS = cast(Table, SmsOptOut.__table__)


def record_opt_out(number_hash: str, source: str) -> None:
    """Nothing more is sent to this number (idempotent). `source`: "keyword" or "carrier". WhatsApp
    messages held for the session window are cancelled: a later START must not bring them back."""
    insert = upsert_insert(db.session)
    db.session.execute(
        insert(_OPT_OUTS)
        .values(phone_hash=number_hash, source=source, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["phone_hash"])
    )
    db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.to_hash == number_hash, OutboundMessage.held_since.is_not(None),
               OutboundMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.CANCELLED, held_since=None, last_error=OPTED_OUT_NOTE)
        .execution_options(synchronize_session=False)
    )


_NOT_SAFE = cast(Table, NotSafeToText.__table__)


def set_safe_to_text(phone_e164: str, safe: bool, source: str, case_id: int | None) -> bool:
    """Record whether texts we start may go to this phone (idempotent), as the complainant of case `case_id` said,
    or (`case_id` None) the phone itself by SMS keyword; True when that answer changed. It is the phone that is or
    is not safe: the answer holds for the number on every channel that carries texts (SMS, WhatsApp), each keyed
    by its own hash. The number stays not safe while any answer says so: a "Yes" takes back only the same case's
    "No", TEXTME only a keyword's (never a report's, which its receipt code takes back). Not safe: the texts we
    started that still wait for it are cancelled now (the worker also checks each one just before it sends it, so
    that one claimed meanwhile is not sent either). `source`: "report", "follow_up" or "keyword"."""
    hashes = [contact_hash(phone_e164, channel) for channel in TEXT_CHANNELS]
    # A keyword's row has no case; an erased case's rows lose theirs but keep their source, so TEXTME leaves them.
    own = (_NOT_SAFE.c.case_id == case_id) if case_id is not None else and_(_NOT_SAFE.c.case_id.is_(None),
                                                                             _NOT_SAFE.c.source == source)
    if safe:
        return bool(db.session.execute(_NOT_SAFE.delete().where(_NOT_SAFE.c.phone_hash.in_(hashes), own)
                                       .returning(_NOT_SAFE.c.id)).first())
    now = utcnow()
    if case_id is None:  # NULLs do not meet in the unique (phone_hash, case_id): looked for first
        kept = set(db.session.scalars(select(_NOT_SAFE.c.phone_hash).where(_NOT_SAFE.c.phone_hash.in_(hashes), own)))
        missing = [number_hash for number_hash in hashes if number_hash not in kept]
        added = None if not missing else db.session.execute(
            _NOT_SAFE.insert().values([{"phone_hash": number_hash, "case_id": None, "source": source,
                                        "created_at": now} for number_hash in missing])
            .returning(_NOT_SAFE.c.id)).first()
    else:
        insert = upsert_insert(db.session)
        added = db.session.execute(
            insert(_NOT_SAFE).values([{"phone_hash": number_hash, "case_id": case_id, "source": source,
                                       "created_at": now} for number_hash in hashes])
            .on_conflict_do_nothing(index_elements=["phone_hash", "case_id"]).returning(_NOT_SAFE.c.id)).first()
    db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.to_hash.in_(hashes), OutboundMessage.status == OutboxStatus.PENDING,
               OutboundMessage.provider_sid.is_(None), OutboundMessage.purpose.not_in(REPLY_PURPOSES))
        .values(status=OutboxStatus.CANCELLED, held_since=None, last_error=NOT_SAFE_NOTE)
        .execution_options(synchronize_session=False))
    return added is not None


def remove_opt_out(number_hash: str) -> dt.datetime | None:
    """Texts to this number again; when it had stopped them (None: it had not)."""
    return db.session.execute(_OPT_OUTS.delete().where(_OPT_OUTS.c.phone_hash == number_hash)
                              .returning(_OPT_OUTS.c.created_at)).scalar()


_PHONE_LANGUAGES = cast(Table, PhoneLanguage.__table__)


def remember_phone_language(number_hash: str, language: str, replace: bool = True) -> None:
    """The language this number's texts are written in from now on (the caller checked it is offered).
    `replace=False`: only if the number has none yet (a hint, such as the web page's language, does not undo a
    choice made with LANG)."""
    insert = upsert_insert(db.session)
    now = utcnow()
    statement = insert(_PHONE_LANGUAGES).values(phone_hash=number_hash, language=language, created_at=now,
                                                updated_at=now)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["phone_hash"], set_={"language": language, "updated_at": now}) if replace
        else statement.on_conflict_do_nothing())


# Twilio's status callback values, and what they mean for our row.
_DELIVERED = {"delivered", "read"}
_NOT_DELIVERED = {"undelivered", "failed"}
# Twilio's "unreachable destination handset": the phone was off or out of reach, and may be on later.
PHONE_UNREACHABLE = 30003


def record_delivery_status(provider_sid: str, status: str, error_code: int | None,
                           reference: SendReference | None = None) -> OutboundMessage | None:
    """Record what Twilio's status callback says. Callbacks arrive out of order: never undo `delivered`. A
    status for a SID no row holds yet: when the callback's URL names the outbox row and a claim whose send is
    still unrecorded (see record_lost_send), the SID is that row's; otherwise (the worker stores a batch's SIDs
    after its sends) the status is kept until a row takes the SID."""
    message = db.session.scalar(select(OutboundMessage).where(OutboundMessage.provider_sid == provider_sid))
    if message is None and reference is not None:
        message = record_lost_send(reference, provider_sid)
    if message is None:
        if status in _DELIVERED | _NOT_DELIVERED:
            _keep_early_status(provider_sid, status, error_code)
        else:
            log.info("delivery status for an unknown message SID ignored")
        return None
    _apply_status(message, status, error_code)
    db.session.flush()
    return message


def record_lost_send(reference: SendReference, provider_sid: str) -> OutboundMessage | None:
    """Store `provider_sid` as the SID of the message `reference` names, when that send may be one whose SID was
    never recorded: the row has no SID, and the claim is the one it holds now (its worker may have died, or not
    recorded it yet) or came after the row fell in doubt. A send from before (the SID of a text Twilio gave up
    on, cleared to send it again) matches neither, and stores nothing. Returns the row, sent, or None."""
    outbox = OutboundMessage
    stored = db.session.execute(
        update(outbox)
        .where(outbox.id == reference.message_id, outbox.provider_sid.is_(None), or_(
            and_(outbox.status == OutboxStatus.SENDING, outbox.claimed_at == reference.claimed_at),
            outbox.in_doubt_since <= reference.claimed_at))
        .values(provider_sid=provider_sid, status=OutboxStatus.SENT, sent_at=utcnow(), claimed_by=None,
                claimed_at=None, in_doubt_since=None, last_error=None, last_error_code=None,
                # a dead worker's send was never counted
                attempts=case((outbox.status == OutboxStatus.SENDING, outbox.attempts + 1), else_=outbox.attempts))
        .returning(outbox.id)
        .execution_options(synchronize_session=False)).scalar()
    if stored is None:
        return None
    log.warning("outbox message %s: its send's SID was recorded from Twilio's status callback", stored)
    return db.session.get(OutboundMessage, stored, populate_existing=True)


def _apply_status(message: OutboundMessage, status: str, error_code: int | None) -> None:
    if message.status is OutboxStatus.DELIVERED:
        return
    if status in _DELIVERED:
        message.status = OutboxStatus.DELIVERED
        message.delivered_at = utcnow()
    elif status in _NOT_DELIVERED:
        message.last_error = f"carrier reported {status}" + (f" (Twilio error {error_code})" if error_code else "")
        message.last_error_code = error_code
        wait = _wait_for_phone(message) if error_code == PHONE_UNREACHABLE else None
        if wait is None:
            message.status = OutboxStatus.FAILED
            return
        # Sent again as a new message: Twilio gave up on this SID, and a row with a SID is never sent again.
        message.status = OutboxStatus.PENDING
        message.next_attempt_at = utcnow() + wait
        message.provider_sid = None


def _wait_for_phone(message: OutboundMessage) -> dt.timedelta | None:
    """How long to wait before sending again to a phone that was off or out of reach: 15 minutes, then four times
    longer after each try (`OUTBOX_UNREACHABLE_WAIT_MINUTES`), for `OUTBOX_UNREACHABLE_TRIES` tries in all and
    never past the message's maximum age. None: no more tries."""
    config = current_app.config
    if message.status is not OutboxStatus.SENT or message.attempts >= config["OUTBOX_UNREACHABLE_TRIES"]:
        return None
    wait = dt.timedelta(minutes=config["OUTBOX_UNREACHABLE_WAIT_MINUTES"] * 4 ** max(message.attempts - 1, 0))
    if message.retry_until is not None and utcnow() + wait > retry_deadline(message):
        return None
    return wait


_EARLY = cast(Table, EarlyDeliveryStatus.__table__)
# A status kept this long with no row taking its SID was not for one of our messages.
EARLY_STATUS_KEPT = dt.timedelta(days=1)


def keep_reported_status(provider_sid: str, status: str, error_code: int | None) -> None:
    """Keep a status Twilio reported for `provider_sid` until its row's SID is stored and apply_early_statuses
    applies it (flushes nothing; a status that changes nothing on a sent row is not kept)."""
    if status in _DELIVERED | _NOT_DELIVERED:
        _keep_early_status(provider_sid, status, error_code)


def _keep_early_status(provider_sid: str, status: str, error_code: int | None) -> None:
    insert = upsert_insert(db.session)
    statement = insert(_EARLY).values(provider_sid=provider_sid, status=status, error_code=error_code,
                                      received_at=utcnow())
    db.session.execute(statement.on_conflict_do_update(  # as with a stored SID, `delivered` is never undone
        index_elements=["provider_sid"], set_={"status": status, "error_code": error_code},
        where=_EARLY.c.status.not_in(sorted(_DELIVERED))))


def apply_early_statuses() -> int:
    """Apply the statuses reported before their SIDs were stored, for the SIDs stored now (flushes; the caller
    commits); forget those kept longer than EARLY_STATUS_KEPT. Returns how many were applied or forgotten. Writes
    nothing when none is kept, the usual case."""
    kept = db.session.execute(select(_EARLY.c.provider_sid, _EARLY.c.received_at)).all()
    if not kept:
        return 0
    matched = db.session.execute(
        select(OutboundMessage, EarlyDeliveryStatus.status, EarlyDeliveryStatus.error_code)
        .join(EarlyDeliveryStatus, EarlyDeliveryStatus.provider_sid == OutboundMessage.provider_sid)
        .execution_options(populate_existing=True)).all()  # the SIDs were just written outside the ORM
    done = {message.provider_sid for message, _, _ in matched}  # before a phone that was off clears its SID
    for message, status, error_code in matched:
        _apply_status(message, status, error_code)
    done |= {sid for sid, received_at in kept if received_at < utcnow() - EARLY_STATUS_KEPT}
    if done:
        db.session.execute(delete(_EARLY).where(_EARLY.c.provider_sid.in_(done)))
    db.session.flush()
    return len(done)
