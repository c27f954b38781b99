"""WhatsApp's 24-hour session window: WhatsApp lets a business write freely only within 24 hours of the
citizen's last message; outside it, only an approved template may be sent.

The inbox worker notes each WhatsApp message's arrival (`reopen_session`). When the delivery worker is about
to send a free-form WhatsApp message outside the window, it holds the message instead (`held_since`) and
owes one template ("a reply is waiting, send OPEN") through the outbox, with the same claim and SID
guarantees as any text; while that template waits unanswered, later messages are held without another.
When the citizen writes again, the held messages go back to the outbox, oldest first. All of it is rows
in the database, written in the transaction that decides it: a worker that dies in between leaves
either the claim (taken again when it goes stale) or the held message and its template.

Both workers lock the session row before the messages, so a message is never held after the citizen's answer
released the others (it then sees the window open), and never released before it is held. A hold locks the
session, then the message's case (`lock_session_for`), in the order an erasure takes its locks.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any, cast

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import CursorResult, Table, column, select, table, update

from civicwatch.crypto import decrypt_text
from civicwatch.database import upsert_insert, utcnow
from civicwatch.extensions import db
from civicwatch.i18n import DEFAULT_LANGUAGE, N_
from civicwatch.messaging.models import OutboundMessage, OutboxStatus, WhatsAppSession
from civicwatch.messaging.operations import max_age, queue_sms
from civicwatch.messaging.queries import phone_language
from civicwatch.phones import WHATSAPP
from civicwatch.settings import twilio_configured

log = logging.getLogger(__name__)

SESSION_WINDOW = dt.timedelta(hours=24)
# WhatsApp judges the window when the message reaches it: keep a few minutes for the send and clock drift.
SESSION_MARGIN = dt.timedelta(minutes=5)
WHATSAPP_TEMPLATE = "whatsapp_template"
# The approved template's words, kept as the outbox row's text (staff pages, the simulator). The template
# registered with WhatsApp for each language must say the same.
TEMPLATE_TEXT = N_("CivicWatch: a reply to your report is waiting for you. Send OPEN to read it.")
# What the citizen may answer the template with (any message reopens the window; these say nothing more).
OPEN_KEYWORDS = frozenset({"OPEN", "OUVRIR", "OPIN"})
# Around OPEN, as phones write it ("Open.", "OPEN!"): spaces and punctuation.
KEYWORD_PUNCTUATION = " \t\r\n.,;:!?\"'()-\u2019\u201c\u201d"
ANSWERED_NOTE = "not sent: the citizen wrote before it left"

_SESSIONS = cast(Table, WhatsAppSession.__table__)
# The cases table as the outbox's foreign key names it: cases sit above messaging, which does not import them.
_CASES = table("cases", column("id"))


def needs_session(message: OutboundMessage) -> bool:
    """A free-form WhatsApp message: sent only within the session window."""
    return message.channel == WHATSAPP and message.content_sid is None and message.purpose != WHATSAPP_TEMPLATE


def session_open(last_inbound_at: dt.datetime | None, now: dt.datetime) -> bool:
    return last_inbound_at is not None and now < last_inbound_at + SESSION_WINDOW - SESSION_MARGIN


def last_inbound(contact_hash: str) -> dt.datetime | None:
    return db.session.scalar(select(WhatsAppSession.last_inbound_at)
                             .where(WhatsAppSession.contact_hash == contact_hash))


def lock_session(contact_hash: str) -> WhatsAppSession:
    """The identity's session row, created if need be and locked until the caller commits. The INSERT comes
    first: on SQLite it takes the write lock before anything is read."""
    insert = upsert_insert(db.session)
    now = utcnow()
    db.session.execute(insert(_SESSIONS).values(contact_hash=contact_hash, created_at=now, updated_at=now)
                       .on_conflict_do_nothing(index_elements=["contact_hash"]))
    return db.session.scalars(select(WhatsAppSession).where(WhatsAppSession.contact_hash == contact_hash)
                              .with_for_update().execution_options(populate_existing=True)).one()


def lock_session_for(message: OutboundMessage) -> WhatsAppSession:
    """The session of the identity `message` goes to, locked as lock_session, then the message's case (PostgreSQL),
    before the held row. An erasure locks its number's session, then the case FOR UPDATE, then deletes its texts and
    the session. The template a hold inserts refers to the case and locks it anyway, but last, after the held row:
    the opposite order to the erasure's, and the two deadlocked. Taken before the session, the erasure of a WhatsApp
    case, holding the session, waited for the case and the hold for the session. In the erasure's order, one waits
    for the other."""
    session = lock_session(message.to_hash)
    if message.case_id is not None:
        db.session.execute(select(_CASES.c.id).where(_CASES.c.id == message.case_id).with_for_update(key_share=True))
    return session


def template_for(language: str) -> tuple[str, str | None]:
    """(the language the template is written in, its Content SID): the recipient's language where a template
    is configured for it, else the default template, in the default language. Without any (the simulator),
    the recipient's language and no SID."""
    per_language = current_app.config.get("TWILIO_WHATSAPP_TEMPLATE_SIDS") or {}
    if per_language.get(language):
        return language, per_language[language]
    default = current_app.config.get("TWILIO_WHATSAPP_TEMPLATE_SID") or None
    return (DEFAULT_LANGUAGE, default) if default else (language, None)


def queue_session_template(session: WhatsAppSession, held: OutboundMessage) -> OutboundMessage | None:
    """Owe the template that asks the citizen to write again, unless one already waits for an answer (a
    failed or cancelled one does not count). Flushes."""
    if session.template_message_id is not None:
        waiting = db.session.get(OutboundMessage, session.template_message_id)
        if waiting is not None and waiting.status not in (OutboxStatus.FAILED, OutboxStatus.CANCELLED):
            return None
    language, content_sid = template_for(phone_language(held.to_hash))
    if content_sid is None and twilio_configured(current_app.config):
        log.warning("outbox message %s held outside the WhatsApp session window; no template configured "
                    "(TWILIO_WHATSAPP_TEMPLATE_SID) to ask the citizen to write", held.id)
        return None
    with force_locale(language):
        text = gettext(TEMPLATE_TEXT)
    template = queue_sms(decrypt_text(held.to_encrypted), text, WHATSAPP_TEMPLATE, held.case_id, WHATSAPP)
    template.content_sid = content_sid
    session.template_message_id = template.id
    db.session.flush()
    return template


def reopen_session(contact_hash: str, at: dt.datetime) -> bool:
    """The citizen wrote on WhatsApp at `at`: the window is open again, the held messages go back to the
    outbox (oldest first, as they were owed) and a template not yet sent is cancelled. True when the
    citizen had been asked to write (a template waited, or messages were held). Flushes."""
    session = lock_session(contact_hash)
    asked = session.template_message_id is not None
    if session.last_inbound_at is None or at > session.last_inbound_at:
        session.last_inbound_at = at
    session.template_message_id = None
    now = utcnow()
    db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.to_hash == contact_hash, OutboundMessage.purpose == WHATSAPP_TEMPLATE,
               OutboundMessage.status == OutboxStatus.PENDING, OutboundMessage.provider_sid.is_(None))
        .values(status=OutboxStatus.CANCELLED, last_error=ANSWERED_NOTE)
        .execution_options(synchronize_session=False))
    released = cast(CursorResult[Any], db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.to_hash == contact_hash, OutboundMessage.held_since.is_not(None),
               OutboundMessage.status == OutboxStatus.PENDING)
        .values(held_since=None, next_attempt_at=now, retry_until=now + max_age())
        .execution_options(synchronize_session=False))).rowcount
    db.session.flush()
    if released:
        log.info("whatsapp session reopened: %s held messages released", released)
    return asked or released > 0


def expire_session(contact_hash: str) -> None:
    """The simulator's "let a day pass": the window closes as if the citizen last wrote 24 hours ago."""
    session = lock_session(contact_hash)
    session.last_inbound_at = utcnow() - SESSION_WINDOW
    db.session.flush()
