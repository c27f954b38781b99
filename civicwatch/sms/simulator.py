"""The SMS simulator (development and demo only): the transcript of one phone, and simulated delivery.

Texts typed on the simulator go into the same inbox as Twilio's webhook and are answered at once; replies
and notifications reach the simulator's phone when the simulator sender "delivers" them from the outbox. A
number is played on SMS or on WhatsApp, each its own identity as with Twilio; on WhatsApp the session window
applies, and the simulator can let a day pass to show the template and the held messages.
"""
from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from flask import Flask
from flask_babel import gettext
from sqlalchemy import func, select

from civicwatch.crypto import decrypt_text
from civicwatch.extensions import db
from civicwatch.messaging.delivery import DeliveryReport, deliver_due_messages
from civicwatch.messaging.models import OutboundMessage, OutboxStatus
from civicwatch.messaging.operations import STOP_CONFIRMATION
from civicwatch.messaging.senders import SimulatorSender, get_sender
from civicwatch.messaging.whatsapp import WHATSAPP_TEMPLATE
from civicwatch.phones import SMS, contact_hash
from civicwatch.sms.inbox import TEXT_REPLY
from civicwatch.sms.models import InboundSms, SmsConversation

SIMULATOR_WORKER = "sms-simulator"
REPLY_PURPOSES = frozenset({TEXT_REPLY, STOP_CONFIRMATION})
TRANSCRIPT_LIMIT = 200


@dataclass(frozen=True)
class PhoneLine:
    at: dt.datetime
    sent_by_phone: bool  # True: the citizen's text; False: what CivicWatch sent
    text: str
    label: str


def simulated_message_sid() -> str:
    """Shaped like Twilio's: SM and 32 hex digits."""
    return "SM" + secrets.token_hex(16)


def deliver_to_simulator(app: Flask, phone: str, channel: str = SMS) -> DeliveryReport | None:
    """Deliver what the outbox owes this phone, when the simulator is the app's sender (never with Twilio)."""
    sender = get_sender(app)
    if not isinstance(sender, SimulatorSender):
        return None
    return deliver_due_messages(sender, SIMULATOR_WORKER, to_hash=contact_hash(phone, channel))


def _label(purpose: str) -> str:
    if purpose in REPLY_PURPOSES:
        return gettext("Reply")
    if purpose == WHATSAPP_TEMPLATE:
        return gettext("WhatsApp template")
    return gettext("Notification (%(purpose)s)", purpose=purpose.replace("_", " "))


def phone_transcript(phone: str, channel: str = SMS) -> list[PhoneLine]:
    """Every text this phone sent on `channel` and every outbox message delivered to it there (replies,
    notifications, WhatsApp templates), oldest first."""
    number_hash = contact_hash(phone, channel)
    lines: list[PhoneLine] = []
    inbound = db.session.scalars(
        select(InboundSms).where(InboundSms.phone_hash == number_hash)
        .order_by(InboundSms.received_at.desc(), InboundSms.id.desc()).limit(TRANSCRIPT_LIMIT)
    )
    for record in inbound:
        lines.append(PhoneLine(record.received_at, True, decrypt_text(record.body_encrypted), gettext("You sent")))
    delivered = db.session.scalars(
        select(OutboundMessage)
        .where(OutboundMessage.to_hash == number_hash,
               OutboundMessage.status.in_((OutboxStatus.SENT, OutboxStatus.DELIVERED)))
        .order_by(OutboundMessage.sent_at.desc()).limit(TRANSCRIPT_LIMIT)
    )
    for message in delivered:
        lines.append(PhoneLine(message.sent_at or message.created_at, False, message.text, _label(message.purpose)))
    # Stable order: by time, the citizen's text before the reply it got.
    lines.sort(key=lambda line: (line.at, not line.sent_by_phone))
    return lines[-TRANSCRIPT_LIMIT:]


def undelivered_counts(phone: str, channel: str = SMS) -> dict[str, int]:
    """Messages for this phone that have not reached it, by what keeps them: "waiting" (for a later attempt),
    "held" (for the citizen to write on WhatsApp), "failed", or "cancelled" (after STOP, or a template the
    citizen answered first)."""
    rows = db.session.execute(
        select(OutboundMessage.status, OutboundMessage.held_since.is_not(None), func.count())
        .where(OutboundMessage.to_hash == contact_hash(phone, channel),
               OutboundMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED,
                                           OutboxStatus.CANCELLED)))
        .group_by(OutboundMessage.status, OutboundMessage.held_since.is_not(None))
    ).all()
    counts: dict[str, int] = {}
    for status, held, count in rows:
        status = OutboxStatus(status)
        kind = "held" if held else "waiting" if status in (OutboxStatus.PENDING, OutboxStatus.SENDING) else status.value
        counts[kind] = counts.get(kind, 0) + count
    return counts


def known_phones(suggested: Sequence[str] = (), limit: int = 8) -> list[str]:
    """Numbers to pick from: the suggested ones (SMS_SIMULATOR_PHONES: the demo complainants), then phones that
    texted recently."""
    phones = list(suggested)
    recent = db.session.scalars(
        select(SmsConversation.phone_encrypted).order_by(SmsConversation.updated_at.desc()).limit(limit)
    )
    for token in recent:
        phone = decrypt_text(token)
        if phone not in phones:
            phones.append(phone)
    return phones[: limit + len(suggested)]
