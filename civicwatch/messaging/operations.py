"""Writing messages owed to complainants into the outbox, in the caller's transaction."""
from __future__ import annotations

from civicwatch.cases.models import Case
from civicwatch.crypto import decrypt_json, encrypt_text, keyed_hash
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage


def queue_sms(phone_e164: str, text: str, purpose: str, case: Case | None = None) -> OutboundMessage:
    message = OutboundMessage(
        case_id=case.id if case is not None else None,
        channel="sms",
        to_encrypted=encrypt_text(phone_e164),
        to_hash=keyed_hash("phone", phone_e164),
        body=text,
        purpose=purpose,
    )
    db.session.add(message)
    db.session.flush()
    return message


def notify_complainant(case: Case, text: str, purpose: str) -> OutboundMessage | None:
    """Owe the complainant an SMS when they left a phone number; web follow-up reads the case itself."""
    if case.contact_encrypted is None:
        return None
    phone = decrypt_json(case.contact_encrypted).get("phone")
    if not phone:
        return None
    return queue_sms(phone, text, purpose, case)
