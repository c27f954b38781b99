"""Reads for the SMS dialogue (a phone's cases) and for the staff outbox page (the texts each member of staff
may see)."""
from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

from flask_babel import gettext, ngettext
from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, or_, select

from civicwatch.accounts.models import Role, User
from civicwatch.cases.feedback import ANSWERED
from civicwatch.cases.identity import mask_phone
from civicwatch.cases.models import TEXT_CHANNELS, Case, CaseEvent, CaseStatus
from civicwatch.cases.permissions import visible_cases
from civicwatch.cases.queries import IN_PROGRESS
from civicwatch.crypto import decrypt_text
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.i18n import N_
from civicwatch.messaging.models import NotSafeToText, OutboundMessage, OutboxStatus
from civicwatch.messaging.operations import OPTED_OUT_NOTE
from civicwatch.messaging.queries import (
    failed_messages,
    held_for_quiet_hours,
    not_safe_count,
    outbox_counts,
    own_answers,
    waiting_messages,
)
from civicwatch.messaging.quiet_hours import held_in_quiet_hours, quiet_window
from civicwatch.messaging.senders import UNREADABLE_ANSWER
from civicwatch.messaging.whatsapp import ANSWERED_NOTE
from civicwatch.sms.conversations import SAID_NOT_SAFE

# Cases with an answer to rate or appeal: the same statuses as the rating and appeal operations accept.
RATEABLE_STATUSES = tuple(sorted(ANSWERED, key=lambda status: status.value))


# The dialogue's reads, built once (texts run them again and again): building a statement and its cache key
# costs more than running it.
_PHONES_CASES = select(Case).where(Case.contact_phone_hash == bindparam("phone_hash"), ~SAID_NOT_SAFE)
_LATEST_FIRST = (Case.created_at.desc(), Case.id.desc())
_OPEN_CASES = _PHONES_CASES.where(Case.status.in_(IN_PROGRESS)).order_by(Case.created_at, Case.id)
_CASE_BY_REFERENCE = _PHONES_CASES.where(Case.reference == bindparam("reference"))
_OPEN_CASE_BY_REFERENCE = _PHONES_CASES.where(Case.reference == bindparam("reference"), Case.status.in_(IN_PROGRESS))
_LAST_PUBLIC_CHANGE = (select(CaseEvent.created_at)
                       .where(CaseEvent.case_id == bindparam("case_id"), CaseEvent.public.is_(True))
                       .order_by(CaseEvent.created_at.desc()).limit(1))


@functools.cache
def _latest_case(statuses: tuple[CaseStatus, ...]) -> Select[tuple[Case]]:
    """The phone's latest case (of `statuses`, if any), built once per set of statuses."""
    query = _PHONES_CASES.where(Case.status.in_(statuses)) if statuses else _PHONES_CASES
    return query.order_by(*_LATEST_FIRST).limit(1)


_LATEST_CASE = _latest_case(())


def latest_case_for_phone(phone_hash: str, statuses: tuple[CaseStatus, ...] | None = None) -> Case | None:
    return db.session.scalar(_latest_case(statuses or ()), {"phone_hash": phone_hash})


def last_public_change(case: Case) -> dt.datetime:
    """When the complainant's timeline last moved (internal edits do not count)."""
    latest = db.session.scalar(_LAST_PUBLIC_CHANGE, {"case_id": case.id})
    return latest or case.created_at


def open_cases_for_phone(phone_hash: str) -> list[Case]:
    """The phone's reports that are not closed (answered ones included), oldest first."""
    return list(db.session.scalars(_OPEN_CASES, {"phone_hash": phone_hash}))


# The phone's open cases and its latest case (open or not) in one read, each with when its timeline last moved
# (last_public_change): what STATUS without a code or reference needs.
_OPEN_CASES_AND_LATEST = _PHONES_CASES.add_columns(
    select(CaseEvent.created_at).where(CaseEvent.case_id == Case.id, CaseEvent.public.is_(True))
    .order_by(CaseEvent.created_at.desc()).limit(1).scalar_subquery()
).where(or_(
    Case.status.in_(IN_PROGRESS),
    Case.id == _LATEST_CASE.with_only_columns(Case.id).scalar_subquery(),
)).order_by(Case.created_at, Case.id)


def open_cases_and_latest(phone_hash: str) -> tuple[list[Case], Case | None, dt.datetime | None]:
    """open_cases_for_phone, latest_case_for_phone (without statuses) and the latter's last_public_change, in one
    statement (None: the phone has no case)."""
    rows = db.session.execute(_OPEN_CASES_AND_LATEST, {"phone_hash": phone_hash}).all()
    if not rows:
        return [], None, None
    latest, changed = rows[-1]
    return [case for case, _ in rows if case.status in IN_PROGRESS], latest, changed or latest.created_at


def case_by_reference(phone_hash: str, reference: str) -> Case | None:
    """One of the phone's own cases, open or not, by reference (references are guessable: never another phone's)."""
    return db.session.scalar(_CASE_BY_REFERENCE, {"phone_hash": phone_hash, "reference": reference})


def open_case_by_reference(phone_hash: str, reference: str) -> Case | None:
    """One of the phone's own open cases by reference (references are guessable: never another phone's)."""
    return db.session.scalar(_OPEN_CASE_BY_REFERENCE, {"phone_hash": phone_hash, "reference": reference})


# ---------------------------------------------------------------- the staff outbox page

OUTBOX_PAGE_SIZE = 50

# Twilio's codes in the words staff can act on (or pass on to the complainant).
TWILIO_ERRORS = {
    21211: N_("The number is not a valid phone number."),
    21408: N_("Our SMS account may not send texts to this country."),
    21610: N_("The person asked their phone company to stop texts from us."),
    21612: N_("No phone network carries texts from our account to this number."),
    21614: N_("The number is not a mobile phone."),
    20429: N_("The SMS provider asked us to send more slowly."),
    30003: N_("The phone was switched off or out of reach."),
    30005: N_("The number is unknown or no longer in use."),
    30006: N_("The number is a landline or cannot receive texts."),
    30007: N_("The phone company blocked the text as unwanted."),
    30008: N_("The phone company did not deliver the text and gave no reason."),
}
# Our own notes (civicwatch.messaging.senders and operations), by how they begin.
NOTES = (
    ("Twilio did not answer in time", N_("The SMS provider did not answer in time.")),
    ("could not reach Twilio", N_("We could not reach the SMS provider (network or provider outage).")),
    ("Twilio client error", N_("Sending failed inside our connection to the SMS provider.")),
    (OPTED_OUT_NOTE, N_("Not sent: the number texted STOP.")),
    ("carrier reported", N_("The phone company reported that the text did not arrive.")),
    (UNREADABLE_ANSWER, N_("The SMS provider took the text but its answer could not be read: it may have arrived.")),
    (ANSWERED_NOTE, N_("Not sent: the citizen wrote on WhatsApp before the template left.")),
)
_HTTP_STATUS = re.compile(r"\(HTTP (\d{3})\)")


def error_in_words(last_error: str | None, code: int | None) -> str:
    """What went wrong last time, in plain words, with Twilio's code for anyone who asks Twilio."""
    if not last_error and code is None:
        return ""
    suffix = " " + gettext("(Twilio error %(code)s)", code=code) if code else ""
    if code in TWILIO_ERRORS:
        return gettext(TWILIO_ERRORS[code]) + suffix
    text = last_error or ""
    for start, words in NOTES:
        if text.startswith(start):
            return gettext(words) + suffix
    status = _HTTP_STATUS.search(text)
    if status and status.group(1).startswith("5"):
        return gettext("The SMS provider had a problem on its side.") + suffix
    return gettext("The SMS provider refused the text.") + suffix if code else text


def duration_words(delta: dt.timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes >= 1440:
        return ngettext("%(num)s day", "%(num)s days", minutes // 1440)
    if minutes >= 60:
        return ngettext("%(num)s hour", "%(num)s hours", minutes // 60)
    if minutes >= 1:
        return ngettext("%(num)s minute", "%(num)s minutes", minutes)
    return gettext("less than a minute")


def outbox_scope(user: User) -> ColumnElement[bool]:
    """The messages `user` may see: those of the cases they may open (their body's, none they recused
    from); an admin also sees messages tied to no case (answers to texts that named none)."""
    of_visible_case = OutboundMessage.case_id.in_(visible_cases(user).with_only_columns(Case.id))
    if user.role is Role.ADMIN:
        return or_(OutboundMessage.case_id.is_(None), of_visible_case)
    return of_visible_case


def visible_message(user: User, message_id: int) -> OutboundMessage | None:
    """The message if `user` may see it on the outbox page (not one of a case they recused from)."""
    return db.session.scalar(select(OutboundMessage).where(OutboundMessage.id == message_id, outbox_scope(user)))


@dataclass(frozen=True)
class WaitingText:
    """One row of the outbox page: never the number, never the text."""

    id: int
    phone: str
    case_id: int | None
    reference: str | None
    waited: str
    attempts: int
    sending: bool
    held_since: dt.datetime | None  # WhatsApp: waiting for the citizen to write, not for the worker
    quiet_until: dt.datetime | None  # held until the quiet hours its next try falls in end
    next_attempt_at: dt.datetime
    next_attempt_in: str
    error: str

    @property
    def held(self) -> bool:
        return self.held_since is not None


@dataclass(frozen=True)
class OutboxPage:
    items: list[WaitingText]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _quiet_until(message: OutboundMessage, now: dt.datetime) -> dt.datetime | None:
    if (message.held_since is not None or message.status is not OutboxStatus.PENDING
            or not held_in_quiet_hours(message.purpose)):
        return None
    due = max(message.next_attempt_at, now)
    window = quiet_window(due)
    return window[1] if window is not None and window[0] <= due else None


def _waiting_text(message: OutboundMessage, now: dt.datetime) -> WaitingText:
    return WaitingText(
        # Masked as the identity vault masks it on the case page: no staff page shows more of a number.
        id=message.id, phone=mask_phone(decrypt_text(message.to_encrypted)) or "", case_id=message.case_id,
        reference=message.case.reference if message.case else None,
        waited=duration_words(now - message.created_at), attempts=message.attempts,
        sending=message.status is OutboxStatus.SENDING, held_since=message.held_since,
        quiet_until=_quiet_until(message, now),
        next_attempt_at=message.next_attempt_at,
        next_attempt_in="" if message.next_attempt_at <= now else duration_words(message.next_attempt_at - now),
        error=error_in_words(message.last_error, message.last_error_code))


def waiting_page(user: User, page: int) -> OutboxPage:
    """The texts still to be sent that `user` may see, one page, the longest waiting first."""
    now = utcnow()
    messages, total, page = waiting_messages(outbox_scope(user), page, OUTBOX_PAGE_SIZE)
    return OutboxPage([_waiting_text(message, now) for message in messages], total, page, OUTBOX_PAGE_SIZE)


def visible_outbox_counts(user: User) -> dict[OutboxStatus, int]:
    return outbox_counts(outbox_scope(user))


# A text held back as not safe, when its own case's answer (messaging.queries.own_answers) holds it back: one held
# back by another report's "no" for the number is counted with the texts its number could not receive.
_FROM_THE_NUMBER = or_(OutboundMessage.case_id.is_(None), exists().where(
    Case.id == OutboundMessage.case_id, Case.channel.in_(TEXT_CHANNELS)).correlate(OutboundMessage))
_HELD_BY_OWN_ANSWER = exists().where(NotSafeToText.phone_hash == OutboundMessage.to_hash,
                                     own_answers(OutboundMessage.case_id, _FROM_THE_NUMBER))


def visible_not_safe_count(user: User) -> int:
    """How many texts we started that `user` may see were held back by their case's own answer: its complainant
    said the number is not safe to text."""
    return not_safe_count(and_(outbox_scope(user), _HELD_BY_OWN_ANSWER))


def visible_held_for_quiet_hours(user: User) -> int | None:
    """How many of the texts `user` may see wait for the current or next quiet hours to end (None: the
    deployment has none)."""
    now = utcnow()
    window = quiet_window(now)
    return None if window is None else held_for_quiet_hours(outbox_scope(user), window, now)


def visible_failed_messages(user: User) -> list[OutboundMessage]:
    return failed_messages(scope=outbox_scope(user))
