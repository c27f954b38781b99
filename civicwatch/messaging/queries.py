"""Reads of the outbox for the admin page (counts and failed messages, never phone numbers), and opt-outs."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage, OutboxStatus, SmsOptOut


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


def opted_out_among(phone_hashes: set[str]) -> frozenset[str]:
    """Which of these numbers opted out: one query for a batch of messages."""
    if not phone_hashes:
        return frozenset()
    return frozenset(db.session.scalars(select(SmsOptOut.phone_hash).where(SmsOptOut.phone_hash.in_(phone_hashes))))
