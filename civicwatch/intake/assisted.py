"""Assisted intake: a member of staff enters a complaint for someone met in person or on the phone (a
community meeting, a call). The case is stored and routed like any other; beside it, who entered it, the
consent the complainant gave, the read-back they confirmed, their language and how they want to be contacted.
The receipt code is handed over on a printed slip. Afterwards the assistant sees the case only if their role
lets them see it anyway (an investigator: only when it went to their own body; a community committee member:
never)."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext

from civicwatch.accounts.models import Role, User
from civicwatch.audit.operations import record_audit
from civicwatch.cases.models import Case, CaseAssistance, Channel
from civicwatch.database import utcnow
from civicwatch.errors import PermissionDeniedError
from civicwatch.extensions import db
from civicwatch.i18n import N_
from civicwatch.intake.idempotency import EarlierSubmission, IdempotencyKey, receive_once
from civicwatch.intake.operations import Receipt, Submission, receive_complaint
from civicwatch.intake.sessions import RECEIPT_SHOW_WITHIN_SECONDS
from civicwatch.messaging.operations import remember_phone_language

# Auditors only read; everyone who works cases may take one down for someone, and so may a community
# committee member, who does nothing else.
ASSISTING_ROLES = (Role.ADMIN, Role.TRIAGE, Role.INVESTIGATOR, Role.COMMUNITY)
ASSISTED_CHANNELS = (Channel.IN_PERSON, Channel.PHONE_CALL)
NO_CONTACT = "none"
CONTACT_CHOICES = (NO_CONTACT, "sms", "whatsapp")
# Read (or read out) to the complainant before anything is written down; kept with the case as shown, in the
# language of the page.
CONSENT_WORDING = N_(
    "I will write down your complaint and send it to CivicWatch, which passes it to the oversight body that can "
    "act on it. Your name is not needed. If you give a phone number, it is kept apart from the complaint and "
    "used only to send you news of your case; staff see it only masked. You get a receipt code: with it you, "
    "and only you, can follow the case. You can stop at any time. Do you agree that I send your complaint?"
)


def consent_wording() -> str:
    return gettext(CONSENT_WORDING)


@dataclass(frozen=True)
class Assistance:
    """What the assistant records besides the complaint itself."""

    channel: Channel  # IN_PERSON or PHONE_CALL
    language: str
    contact_by: str  # none, sms, whatsapp
    consent_given: bool
    read_back_confirmed: bool


def may_show_slip_again(outcome: Receipt | EarlierSubmission) -> bool:
    """A form sent twice shows its slip again only soon after the first time (its answer may have been lost on
    the way): the assistant is not a way back to a complainant's receipt code later."""
    if not isinstance(outcome, EarlierSubmission):
        return True
    stored_at = outcome.stored_at
    return stored_at is not None and (utcnow() - stored_at).total_seconds() <= RECEIPT_SHOW_WITHIN_SECONDS


def may_assist(user: User) -> bool:
    return user.role in ASSISTING_ROLES


def receive_assisted_complaint(user: User, submission: Submission, assistance: Assistance,
                               key: IdempotencyKey) -> Receipt | EarlierSubmission:
    """Store, route and COMMIT a complaint entered on someone's behalf, once per form (`key`)."""
    if not may_assist(user):
        raise PermissionDeniedError(gettext("Your role cannot enter a complaint on someone's behalf."))
    if not assistance.consent_given or not assistance.read_back_confirmed:
        raise PermissionDeniedError(gettext(
            "A complaint is entered for someone only with their consent, read back to them."))
    if assistance.channel not in ASSISTED_CHANNELS or assistance.contact_by not in CONTACT_CHOICES:
        raise ValueError("unknown assisted channel or contact choice")
    return receive_once(key, lambda: receive_complaint(
        submission, actor=user, key=key, on_stored=lambda case: record_assistance(case, user, assistance)))


def record_assistance(case: Case, user: User, assistance: Assistance) -> CaseAssistance:
    """The record beside the case, and the language the complainant's texts are written in. Audited; flushes."""
    row = CaseAssistance(case=case, assisted_by=user, consent_wording=consent_wording(),
                         read_back_confirmed=assistance.read_back_confirmed, language=assistance.language,
                         contact_by=assistance.contact_by)
    db.session.add(row)
    if case.contact_phone_hash is not None:
        remember_phone_language(case.contact_phone_hash, assistance.language)
    db.session.flush()
    record_audit(user, "case.assisted_intake", row, case=case, after={
        "channel": assistance.channel.value, "language": assistance.language,
        "contact_by": assistance.contact_by, "consent": True, "read_back_confirmed": True,
    })
    return row

