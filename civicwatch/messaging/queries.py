"""Reads of the outbox for the staff page (counts, waiting and failed messages, never phone numbers), opt-outs,
and the language each number chose. Who may see which message is decided above, where cases are: the callers
pass it as `scope`."""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple, cast

from flask import current_app
from sqlalchemy import ColumnElement, Select, Table, and_, bindparam, exists, false, func, or_, select, true
from sqlalchemy.orm import QueryableAttribute, joinedload

from civicwatch.extensions import db
from civicwatch.i18n import DEFAULT_LANGUAGE
from civicwatch.messaging.models import (
    REPLY_PURPOSES,
    NotSafeToText,
    OutboundMessage,
    OutboxStatus,
    PhoneLanguage,
    SmsOptOut,
)

WAITING = (OutboxStatus.PENDING, OutboxStatus.SENDING)
# The note on a text we started that was not sent because its number is not safe to text.
NOT_SAFE_NOTE = "not sent: the citizen said texts to this phone are not safe"


def _scoped(query: Select, scope: ColumnElement[bool] | None) -> Select:
    return query if scope is None else query.where(scope)


def outbox_counts(scope: ColumnElement[bool] | None = None) -> dict[OutboxStatus, int]:
    rows = db.session.execute(
        _scoped(select(OutboundMessage.status, func.count()), scope).group_by(OutboundMessage.status)
    ).all()
    found = {OutboxStatus(status) if not isinstance(status, OutboxStatus) else status: count
             for status, count in rows}
    return {status: found.get(status, 0) for status in OutboxStatus}


def failed_messages(limit: int = 200, scope: ColumnElement[bool] | None = None) -> list[OutboundMessage]:
    return list(db.session.scalars(
        _scoped(select(OutboundMessage), scope)
        .options(joinedload(OutboundMessage.case))
        .where(OutboundMessage.status == OutboxStatus.FAILED)
        .order_by(OutboundMessage.created_at.desc(), OutboundMessage.id.desc())
        .limit(limit)
    ))


def waiting_messages(scope: ColumnElement[bool] | None, page: int, per_page: int) -> tuple[list[OutboundMessage], int, int]:
    """One page of the messages still to be sent, the longest waiting first; with the total and the page
    actually shown (a page past the end shows the last)."""
    query = _scoped(select(OutboundMessage), scope).where(OutboundMessage.status.in_(WAITING))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(1, min(page, -(-total // per_page) or 1))
    items = list(db.session.scalars(
        query.options(joinedload(OutboundMessage.case))
        .order_by(OutboundMessage.created_at.asc(), OutboundMessage.id.asc())
        .limit(per_page).offset((page - 1) * per_page)))
    return items, total, page


def held_for_quiet_hours(scope: ColumnElement[bool] | None, window: tuple[dt.datetime, dt.datetime],
                         now: dt.datetime) -> int:
    """How many messages wait for the quiet hours `window` (the current or the next) to end: not replies to a
    citizen's text, pending, and due before they end (and, before they begin, not before they begin)."""
    begins, ends = window
    query = _scoped(select(func.count()).select_from(OutboundMessage), scope).where(
        OutboundMessage.status == OutboxStatus.PENDING, OutboundMessage.held_since.is_(None),
        OutboundMessage.purpose.not_in(REPLY_PURPOSES), OutboundMessage.next_attempt_at < ends)
    if now < begins:
        query = query.where(OutboundMessage.next_attempt_at >= begins)
    return db.session.scalar(query) or 0


def not_safe_count(scope: ColumnElement[bool] | None = None) -> int:
    """How many texts we started were held back because their number is not safe to text."""
    return db.session.scalar(_scoped(select(func.count()).select_from(OutboundMessage), scope).where(
        OutboundMessage.status == OutboxStatus.CANCELLED, OutboundMessage.last_error == NOT_SAFE_NOTE)) or 0


# The worker asks these once per message sent: statements built once, on the tables rather than the mapped
# classes, so that each costs a compiled-cache hit and no ORM execution. Opt-outs and languages are only ever
# written by Core statements (messaging/operations.py), so no pending ORM row can be missed for want of an
# autoflush.
_OPT_OUTS = cast(Table, SmsOptOut.__table__).c
_LANGUAGES = cast(Table, PhoneLanguage.__table__).c
_OUTBOX = cast(Table, OutboundMessage.__table__).c
_IS_OPTED_OUT = select(_OPT_OUTS.id).where(_OPT_OUTS.phone_hash == bindparam("phone_hash"))
_PHONE_LANGUAGE = select(_LANGUAGES.language).where(_LANGUAGES.phone_hash == bindparam("phone_hash"))


def is_opted_out(phone_hash: str) -> bool:
    return db.session.execute(_IS_OPTED_OUT, {"phone_hash": phone_hash}).first() is not None


_NOT_SAFE = cast(Table, NotSafeToText.__table__).c
_IS_NOT_SAFE = select(_NOT_SAFE.id).where(_NOT_SAFE.phone_hash == bindparam("phone_hash"))


def is_safe_to_text(phone_hash: str) -> bool:
    """Whether texts we start may go to this number (see NotSafeToText)."""
    return db.session.execute(_IS_NOT_SAFE, {"phone_hash": phone_hash}).first() is None


def held_back_as_not_safe(case_id: int, purpose: str) -> bool:
    """Whether the latest text of this purpose owed for the case was cancelled, unsent, because its number was not
    safe to text (the question it asked never reached the phone)."""
    latest = db.session.execute(
        select(_OUTBOX.status, _OUTBOX.last_error, _OUTBOX.provider_sid)
        .where(_OUTBOX.case_id == case_id, _OUTBOX.purpose == purpose).order_by(_OUTBOX.id.desc()).limit(1)).first()
    return (latest is not None and latest.status == OutboxStatus.CANCELLED and latest.last_error == NOT_SAFE_NOTE
            and latest.provider_sid is None)


class NumberBlocks(NamedTuple):
    opted_out: bool  # STOP: nothing but the STOP's confirmation goes
    not_safe: bool  # not safe to text: no text we start goes


# Both, in one statement: the outbox reads them just before each send.
NUMBER_BLOCKS = select(exists().where(_OPT_OUTS.phone_hash == bindparam("phone_hash")),
                       exists().where(_NOT_SAFE.phone_hash == bindparam("phone_hash")))


def number_blocks(phone_hash: str) -> NumberBlocks:
    """Whether this number opted out and whether it is not safe to text, read in the session."""
    opted_out, not_safe = db.session.execute(NUMBER_BLOCKS, {"phone_hash": phone_hash}).one()
    return NumberBlocks(bool(opted_out), bool(not_safe))


# The answers a case's own complainant gave for its number: its report's or follow-up page's (rows of the case),
# and, for a case reported by text from the number, the phone's own QUIET (a keyword's row, with no case).
KEYWORD_SOURCE = "keyword"


def own_answers(case_id: QueryableAttribute[int | None] | int | None,
                reported_from_number: ColumnElement[bool]) -> ColumnElement[bool]:
    """Rows of not_safe_to_text that are the answer of case `case_id`'s own complainant (see above); a text tied
    to no case (an admin's only) is held by the phone's own answer."""
    keyword = and_(_NOT_SAFE.case_id.is_(None), _NOT_SAFE.source == KEYWORD_SOURCE)
    if case_id is None:
        return keyword
    return or_(_NOT_SAFE.case_id == case_id, and_(keyword, reported_from_number))


def said_not_safe_by_own_answer(phone_hash: str, case_id: int | None, reported_from_number: bool) -> bool:
    """Whether the texts we start for case `case_id` to this number are held back by the case's own answer. What
    that case's staff are told (the "do not text or call" line, the "not safe" count, the reason a text is not sent)
    comes from this alone: another report's "no" for the same number is not theirs to learn, so the texts it holds
    back are shown to them as those of a number that cannot receive our texts."""
    return db.session.scalar(select(_NOT_SAFE.id).where(
        _NOT_SAFE.phone_hash == phone_hash,
        own_answers(case_id, true() if reported_from_number else false())).limit(1)) is not None


def case_said_safe_to_text(phone_hash: str, case_id: int) -> bool:
    """The answer the complainant of case `case_id` gave for this number (the follow-up page shows it): another
    report's answer for the same number is not theirs to learn."""
    return db.session.scalar(select(_NOT_SAFE.id).where(_NOT_SAFE.phone_hash == phone_hash,
                                                        _NOT_SAFE.case_id == case_id)) is None


# A batch of texts' numbers at once: one statement for the inbox worker's batch instead of one per text.
_OWED_SINCE = (select(_OUTBOX.to_hash, func.count())
               .where(_OUTBOX.to_hash.in_(bindparam("hashes", expanding=True)),
                      _OUTBOX.purpose == bindparam("purpose"), _OUTBOX.created_at >= bindparam("since"))
               .group_by(_OUTBOX.to_hash))


def messages_owed_since(number_hashes: set[str], purpose: str, since: dt.datetime) -> dict[str, int]:
    """How many messages of `purpose` were owed to each of these numbers since then, whatever became of them (a
    number owed none is left out)."""
    if not number_hashes:
        return {}
    rows = db.session.execute(_OWED_SINCE, {"hashes": sorted(number_hashes), "purpose": purpose, "since": since})
    return {number_hash: count for number_hash, count in rows}


def phone_language(phone_hash: str) -> str:
    """The language a number chose (LANG by SMS), if still offered; otherwise English."""
    return offered_language(db.session.execute(_PHONE_LANGUAGE, {"phone_hash": phone_hash}).scalar())


def offered_language(chosen: str | None) -> str:
    """A number's chosen language (read with something else), if still offered; otherwise English."""
    return chosen if chosen is not None and chosen in current_app.config["LANGUAGES"] else DEFAULT_LANGUAGE
