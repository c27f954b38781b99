"""Telling complainants about their case: by SMS through the outbox when they left a phone number and have
not texted STOP; otherwise they read it on the web follow-up page."""
from __future__ import annotations

import logging

from civicwatch.cases.identity import contact_of
from civicwatch.cases.models import Case
from civicwatch.messaging.models import OutboundMessage
from civicwatch.messaging.operations import queue_sms
from civicwatch.messaging.queries import is_opted_out
from civicwatch.phones import phone_hash

log = logging.getLogger(__name__)

# Ends every SMS that brings an answer: the SMS dialogue takes "RATE 4" and "APPEAL <why>" (sms/dialogue.py),
# so the complainant needs no web link and no receipt code to have their say.
FEEDBACK_BY_TEXT = "Reply RATE 1-5 or APPEAL and why."


def sms_prefix(case: Case) -> str:
    """What every SMS about a case starts with."""
    return f"CivicWatch {case.reference}: "


def notify_complainant(case: Case, text: str, purpose: str) -> OutboundMessage | None:
    """Owe the complainant an SMS when they left a phone number and have not texted STOP; None otherwise
    (they read the case on the web follow-up page)."""
    if case.contact_phone_hash is None:
        return None
    phone = contact_of(case).get("phone")
    if not phone:
        return None
    if is_opted_out(phone_hash(phone)):
        log.info("no sms for case %s: the number texted STOP", case.id)
        return None
    return queue_sms(phone, text, purpose, case.id)
