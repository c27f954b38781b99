"""The SMS simulator (development and demo only): the transcript of one phone, and simulated delivery.

Texts typed on the simulator go into the same inbox as Twilio's webhook and are answered at once; replies
and notifications reach the simulator's phone when the simulator sender "delivers" them from the outbox.
"""
from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import func, select

from civicwatch.crypto import decrypt_text
from civicwatch.extensions import db
from civicwatch.messaging.delivery import DeliveryReport, deliver_due_messages
from civicwatch.messaging.models import OutboundMessage, OutboxStatus
from civicwatch.messaging.operations import STOP_CONFIRMATION
from civicwatch.messaging.senders import SimulatorSender, get_sender
from civicwatch.phones import phone_hash
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


def deliver_to_simulator(app: Flask, phone: str) -> DeliveryReport | None:
    """Deliver what the outbox owes this phone, when the simulator is the app's sender (never with Twilio)."""
    sender = get_sender(app)
    if not isinstance(sender, SimulatorSender):
        return None
    return deliver_due_messages(sender, SIMULATOR_WORKER, to_hash=phone_hash(phone))


def phone_transcript(phone: str) -> list[PhoneLine]:
    """Every text this phone sent and every outbox message delivered to it (replies and notifications),
    oldest first."""
    number_hash = phone_hash(phone)
    lines: list[PhoneLine] = []
    inbound = db.session.scalars(
        select(InboundSms).where(InboundSms.phone_hash == number_hash)
        .order_by(InboundSms.received_at.desc(), InboundSms.id.desc()).limit(TRANSCRIPT_LIMIT)
    )
    for record in inbound:
        lines.append(PhoneLine(record.received_at, True, decrypt_text(record.body_encrypted), "You sent"))
    delivered = db.session.scalars(
        select(OutboundMessage)
        .where(OutboundMessage.to_hash == number_hash,
               OutboundMessage.status.in_((OutboxStatus.SENT, OutboxStatus.DELIVERED)))
        .order_by(OutboundMessage.sent_at.desc()).limit(TRANSCRIPT_LIMIT)
    )
    for message in delivered:
        label = "Reply" if message.purpose in REPLY_PURPOSES else f"Notification ({message.purpose.replace('_', ' ')})"
        lines.append(PhoneLine(message.sent_at or message.created_at, False, message.text, label))
    # Stable order: by time, the citizen's text before the reply it got.
    lines.sort(key=lambda line: (line.at, not line.sent_by_phone))
    return lines[-TRANSCRIPT_LIMIT:]


def undelivered_counts(phone: str) -> dict[OutboxStatus, int]:
    """Messages for this phone that have not reached it: waiting, failed, or cancelled after STOP."""
    rows = db.session.execute(
        select(OutboundMessage.status, func.count())
        .where(OutboundMessage.to_hash == phone_hash(phone),
               OutboundMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED,
                                           OutboxStatus.CANCELLED)))
        .group_by(OutboundMessage.status)
    ).all()
    return {OutboxStatus(status) if not isinstance(status, OutboxStatus) else status: count
            for status, count in rows}


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
