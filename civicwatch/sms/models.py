"""The inbox of texts not yet answered, SMS conversations and processed inbound messages (for idempotency),
keyed by phone hash. Opt-outs (STOP) live with the outbox, in messaging."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from civicwatch.database import TimestampMixin, UTCDateTime, enum_column, utcnow
from civicwatch.extensions import Model


class ConversationState(enum.Enum):
    IDLE = "idle"
    AWAITING_DETAILS = "awaiting_details"  # a first text too short to open a case is kept here
    FOLLOWING_UP = "following_up"  # texts within the follow-up window are added to `case_id`
    # `case_id` was just opened and its reply asked whether someone is hurt, held or threatened right now;
    # texts within the follow-up window are added to it, as when following up.
    ASKED_DANGER = "asked_danger"
    # A retaliation check-in about the case `case_id` (open or closed) was texted: YES, NO or what happened answers it.
    ASKED_CHECK_IN = "asked_check_in"


class SmsConversation(TimestampMixin, Model):
    """Where one phone number is in the dialogue. Expiry is judged on read, against `last_message_at`."""

    __tablename__ = "sms_conversations"
    __table_args__ = (
        CheckConstraint(
            "state <> 'awaiting_details' OR (pending_encrypted IS NOT NULL AND pending_since IS NOT NULL)",
            name="awaiting_has_pending",
        ),
        CheckConstraint("state NOT IN ('following_up', 'asked_danger', 'asked_check_in') OR case_id IS NOT NULL",
                        name="following_has_case"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64), unique=True)
    phone_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[ConversationState] = mapped_column(
        enum_column(ConversationState, "sms_conversation_state"), default=ConversationState.IDLE
    )
    # The text kept while waiting for details (encrypted: it is the start of a complaint).
    pending_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    pending_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    last_message_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class InboxText(Model):
    """A text as Twilio's webhook handed it over, waiting for a worker to run it through the dialogue.

    The webhook only writes this row (one per MessageSid) and commits, so a citizen's text is durable before
    Twilio hears back, and bursts never wait on case writing. The worker deletes the row in the transaction
    that answers it; a text that keeps failing stays here with its attempts counted, set aside, until an admin
    gives it back to the worker or SMS_SET_ASIDE_KEEP_DAYS have passed (sms.set_aside).
    """

    __tablename__ = "sms_inbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    # Keyed hash of the sender exactly as Twilio wrote it: texts from one sender are answered in order.
    sender_hash: Mapped[str] = mapped_column(String(64), index=True)
    # The sender and the text together, encrypted as one JSON document.
    payload_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    # When it reached MAX_ATTEMPTS (None while it waits): it is erased SMS_SET_ASIDE_KEEP_DAYS later. No index: the
    # inbox is a short queue, read for this once an hour, and every text the webhook stores would pay for one.
    set_aside_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class InboundSms(Model):
    """One inbound text, stored once per Twilio MessageSid with the reply it got, so a retry gets the same."""

    __tablename__ = "inbound_sms"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    body_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    # Encrypted: a reply can carry the receipt code, which is otherwise stored only as a hash.
    reply_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    replied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    event: Mapped[str | None] = mapped_column(String(32))  # what the dialogue made of it: help, status, text...
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
