"""Reads of the outbox for the admin page (counts and failed messages, never phone numbers), opt-outs, and the
language each number chose."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from civicwatch.extensions import db
from civicwatch.i18n import DEFAULT_LANGUAGE
from civicwatch.messaging.models import OutboundMessage, OutboxStatus, PhoneLanguage, SmsOptOut


def outbox_counts() -> dict[OutboxStatus, int]:
    rows = db.session.execute(
        select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status)
    ).all()
    found = {OutboxStatus(status) if not isinstance(status, OutboxStatus) else status: count
             for status, count in rows}
    return {status: found.get(status, 0) for status in OutboxStatus}


def failed_messages(limit: int = 200) -> list[OutboundMessage]:
    return list(db.session.scalars(
        select(OutboundMessage)
        .options(joinedload(OutboundMessage.case))
        .where(OutboundMessage.status == OutboxStatus.FAILED)
        .order_by(OutboundMessage.created_at.desc(), OutboundMessage.id.desc())
        .limit(limit)
    ))


def get_message(message_id: int) -> OutboundMessage | None:
    return db.session.get(OutboundMessage, message_id)


def is_opted_out(phone_hash: str) -> bool:
    return db.session.scalar(select(SmsOptOut.id).where(SmsOptOut.phone_hash == phone_hash)) is not None


def phone_language(phone_hash: str) -> str:
    """The language a number chose (LANG by SMS), if still offered; otherwise English."""
    chosen = db.session.scalar(select(PhoneLanguage.language).where(PhoneLanguage.phone_hash == phone_hash))
    return chosen if chosen is not None and chosen in current_app.config["LANGUAGES"] else DEFAULT_LANGUAGE
