"""The identity vault's storage: a complainant's contact details in their own table under their own key.

Staff pages show only the masked forms kept beside them. The details themselves are read here for two
purposes only: sending the complainant a message (the outbox) and checking that a text to publish does not
name them (publishing); a person sees them only through a custodian's grant (civicwatch/disclosure).
"""
from __future__ import annotations

import phonenumbers

from civicwatch.cases.models import Case, ComplainantIdentity
from civicwatch.crypto import IDENTITY_KEY, decrypt_json_with, encrypt_json_with
from civicwatch.phones import SMS, contact_hash

HIDDEN = "•••"


def store_contact(case: Case, contact: dict[str, str] | None) -> None:
    """Put the complainant's contact details (phone in E.164, email) in the vault, and the phone's keyed hash
    on the case so that their texts find it."""
    if not contact:
        return
    case.identity = ComplainantIdentity(
        contact_encrypted=encrypt_json_with(IDENTITY_KEY, contact),
        phone_masked=mask_phone(contact.get("phone")), email_masked=mask_email(contact.get("email")),
    )
    if contact.get("phone"):
        case.contact_phone_hash = contact_hash(contact["phone"], texts_channel(contact))


def contact_of(case: Case) -> dict[str, str]:
    """The stored contact details ({} without any), for the system's own use: never shown or logged."""
    if case.identity is None:
        return {}
    return decrypt_json_with(IDENTITY_KEY, case.identity.contact_encrypted)


def texts_channel(contact: dict[str, str]) -> str:
    """The channel texts about the case go by: the one the complainant used or asked for."""
    return contact.get("texts_by") or SMS


def masked_contact(case: Case) -> list[str]:
    """What staff may see of the contact details: '+232 ••• ••56', 's•••@•••.org'."""
    if case.identity is None:
        return []
    return [value for value in (case.identity.phone_masked, case.identity.email_masked) if value]


def mask_phone(e164: str | None) -> str | None:
    """The country code and the last two digits: enough to tell two numbers apart on a call, not to dial."""
    if not e164:
        return None
    try:
        country = f"+{phonenumbers.parse(e164, None).country_code}"
    except phonenumbers.NumberParseException:
        country = ""
    return f"{country} {HIDDEN} {HIDDEN[:2]}{e164[-2:]}".strip()


def mask_email(email: str | None) -> str | None:
    """The first letter and the top-level domain: the rest could name a person or a small organisation."""
    if not email or "@" not in email:
        return None
    local, _, domain = email.rpartition("@")
    top = domain.rsplit(".", 1)[-1] if "." in domain else ""
    return f"{local[:1]}{HIDDEN}@{HIDDEN}{'.' + top if top else ''}"
