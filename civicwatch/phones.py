"""Phone numbers: normalised to E.164, found by keyed hash (masked on staff pages by the identity vault,
civicwatch/cases/identity.py).

A number reaches the complainant by SMS or by WhatsApp; each is an identity of its own (its own keyed hash),
so a conversation, an opt-out (STOP) and a chosen language (LANG) belong to the number on one channel.
"""
from __future__ import annotations

import phonenumbers
from flask import current_app

from civicwatch.crypto import keyed_hash

# Keyed-hash purpose shared by cases, conversations, opt-outs and the outbox, so they find each other.
PHONE_HASH_PURPOSE = "phone"

SMS = "sms"
WHATSAPP = "whatsapp"
TEXT_CHANNELS = (SMS, WHATSAPP)
# How Twilio writes a WhatsApp address in From and To ("whatsapp:+23276123456").
WHATSAPP_PREFIX = "whatsapp:"


def deployment_region() -> str | None:
    """The country assumed for numbers written without an international prefix (DEFAULT_PHONE_REGION)."""
    return current_app.config.get("DEFAULT_PHONE_REGION") or None


def normalise_phone(raw: str | None, default_region: str | None = "SL", valid_only: bool = False) -> str | None:
    """The number in E.164 (+23276123456), or None when it cannot be a phone number.

    `valid_only`: only numbers the numbering plan assigns (what a person types in a form); otherwise any
    number of a possible length (a carrier may deliver from numbers newer than our numbering data).
    """
    if not raw or len(raw) > 64:
        return None
    try:
        number = phonenumbers.parse(raw.strip(), default_region)
    except phonenumbers.NumberParseException:
        return None
    usable = phonenumbers.is_valid_number(number) if valid_only else phonenumbers.is_possible_number(number)
    if not usable:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_sender(raw: str | None) -> str | None:
    """`normalise_phone` for a texting number, with the deployment's region for numbers without a prefix."""
    return normalise_phone(raw, deployment_region() or "SL")


def split_sender(raw: str | None) -> tuple[str, str] | None:
    """(channel, E.164) of a Twilio From: "whatsapp:+232..." is WhatsApp, anything else SMS; None when it
    is not a phone number."""
    raw = raw or ""
    channel = SMS
    if raw[:len(WHATSAPP_PREFIX)].lower() == WHATSAPP_PREFIX:
        channel, raw = WHATSAPP, raw[len(WHATSAPP_PREFIX):]
    phone = normalise_sender(raw)
    return (channel, phone) if phone is not None else None


def phone_hash(e164: str) -> str:
    """The SMS identity of a number (also what an e-mail-less case's contact is found by)."""
    return keyed_hash(PHONE_HASH_PURPOSE, e164)


def contact_hash(e164: str, channel: str = SMS) -> str:
    """The number's identity on `channel`: the SMS one is `phone_hash`, so rows written before WhatsApp
    still match; WhatsApp's is a hash of Twilio's address, never equal to it."""
    return phone_hash(e164) if channel == SMS else keyed_hash(PHONE_HASH_PURPOSE, WHATSAPP_PREFIX + e164)


def twilio_address(e164: str, channel: str = SMS) -> str:
    """What Twilio's To and From take on `channel`."""
    return WHATSAPP_PREFIX + e164 if channel == WHATSAPP else e164
