"""The outbox: every message owed to a complainant, written in the transaction that owes it; and the numbers
that opted out (STOP), to which nothing more is sent."""
from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civicwatch.crypto import decrypt_text
from civicwatch.database import TimestampMixin, UTCDateTime, enum_column, utcnow
from civicwatch.extensions import Model

if TYPE_CHECKING:  # cases sit above messaging: the relationship names Case by string
    from civicwatch.cases.models import Case


# The purposes of the replies to a text the citizen just sent: the dialogue's answer, and the confirmation of a STOP
# (the one text a number that opted out still gets; carriers require it). Every other message is one we start.
TEXT_REPLY = "text_reply"
STOP_CONFIRMATION = "stop_confirmation"
REPLY_PURPOSES = frozenset({TEXT_REPLY, STOP_CONFIRMATION})


class OutboxStatus(enum.Enum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"


class OutboundMessage(TimestampMixin, Model):
    """One text owed to someone. The delivery worker claims it (status sending, claimed_by/claimed_at),
    sends it and records the provider's SID; failures wait `next_attempt_at` and give up at `retry_until`."""

    __tablename__ = "outbound_messages"
    # What the worker asks for: due messages of a status, oldest first.
    __table_args__ = (Index("ix_outbound_messages_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16), default="sms")
    to_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    to_hash: Mapped[str] = mapped_column(String(64), index=True)
    # Encrypted: a reply to a text can carry the receipt code, which is otherwise stored only as a hash.
    # Rows written before encryption keep their text in `body`.
    body_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    body: Mapped[str | None] = mapped_column(Text)
    # status, question, reply (a staff message), answer...; a reply to a text is TEXT_REPLY or STOP_CONFIRMATION
    purpose: Mapped[str] = mapped_column(String(32))
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))  # our words and the provider's code, no numbers
    last_error_code: Mapped[int | None] = mapped_column(Integer)  # Twilio's error code, when it gave one
    # Transient failures are retried until then; an admin's retry moves it on.
    retry_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Set while a send of it may have reached Twilio without its SID being recorded (the answer was lost, or the
    # worker died holding the claim): the claim time of the first such send. Twilio is asked before any send
    # again, and a status callback naming a claim since then records its SID. Cleared once a SID is recorded.
    in_doubt_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # WhatsApp only: set while a free-form message waits for the citizen to reopen the 24-hour session window
    # (status pending, never claimed); cleared when they write.
    held_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # An approved WhatsApp template (Twilio's Content SID) sent instead of `body`, which keeps its wording.
    content_sid: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case | None] = relationship("Case")

    @property
    def text(self) -> str:
        return decrypt_text(self.body_encrypted) if self.body_encrypted is not None else self.body or ""


class SmsOptOut(TimestampMixin, Model):
    """A number that texted STOP (or that Twilio reports unsubscribed): nothing more is sent to it."""

    __tablename__ = "sms_opt_outs"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(16))  # "keyword" or "carrier"


class NotSafeToText(TimestampMixin, Model):
    """A number whose owner said others may read the texts on it: no text we start goes to it (case news,
    questions, check-ins, reminders...); a reply to a text it just sent still does. Keyed, like opt-outs, by the
    number's keyed hash, one row per case whose complainant said so: anyone can type a number into the report
    form, so a case's "Yes" takes back only its own "No", never another report's. Written by the web report's
    question and the follow-up page, and (with no case) by the phone's own SMS keyword QUIET, which only TEXTME
    takes back; erasing the case keeps the row without its case (`case_id` None), as an opt-out is kept. No row:
    safe to text."""

    __tablename__ = "not_safe_to_text"
    __table_args__ = (UniqueConstraint("phone_hash", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    source: Mapped[str] = mapped_column(String(16))  # "report", "follow_up" or "keyword" (QUIET by SMS)


class EarlyDeliveryStatus(Model):
    """A delivery status Twilio reported for a SID no outbox row holds yet: the worker stores a batch's SIDs after
    its sends, and the callback for an early message of the batch can come first. Applied, and removed, once the
    SID is stored (messaging.operations.apply_early_statuses); forgotten after a day if no row ever takes it."""

    __tablename__ = "early_delivery_statuses"

    provider_sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class PhoneLanguage(TimestampMixin, Model):
    """The language a number chose by texting LANG: its replies and case news are written in it. Keyed, like
    opt-outs, by the number's keyed hash, so it holds no number."""

    __tablename__ = "phone_languages"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64), unique=True)
    language: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class WhatsAppSession(TimestampMixin, Model):
    """WhatsApp's 24-hour session window of one WhatsApp identity (keyed hash, as opt-outs are): when the
    citizen last wrote, and the template message sent to ask them to write again, while it waits unanswered."""

    __tablename__ = "whatsapp_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_inbound_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Erasing a case deletes its outbox rows, the template among them: the session then waits for none.
    template_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_messages.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
