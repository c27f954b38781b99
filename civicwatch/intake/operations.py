"""Receiving complaints from any channel, and what complainants add later. Flush, never commit,
except `receive_complaint`, whose whole point is to make the complaint durable before anything else runs.
"""
from __future__ import annotations

import datetime as dt
import logging
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import select

from civicwatch.audit.operations import record_audit
from civicwatch.cases.deadlines import set_deadlines
from civicwatch.cases.models import Case, CaseEvent, CaseMessage, CaseStatus, Channel, MessageKind
from civicwatch.cases.references import (
    format_reference,
    new_receipt_code,
    normalise_receipt_code,
    receipt_hash,
    temporary_reference,
)
from civicwatch.crypto import encrypt_json, keyed_hash
from civicwatch.database import utcnow
from civicwatch.errors import DomainError
from civicwatch.extensions import db
from civicwatch.intake.attachments import (
    IncomingFile,
    PreparedFile,
    prepare_uploads,
    save_attachment,
)
from civicwatch.taxonomy.models import Actor, District, Region
from civicwatch.taxonomy.queries import Coded

log = logging.getLogger(__name__)

TEXT_MAX = 5000
# The web form asks for enough to act on; an SMS or an Open311 report may be short and is still kept.
TEXT_MIN = {Channel.WEB: 20}
LOCATION_MAX = 500
MESSAGE_MAX = 5000
EMAIL_MAX = 254
UNKNOWN_ACTOR = "unknown"
EARLIEST_INCIDENT = dt.date(1960, 1, 1)
# Control characters and lone surrogates; format characters (zero-width joiners) are kept for scripts and emoji.
_UNWANTED = {"Cc", "Cs"}


class SubmissionError(DomainError):
    """Input that cannot be accepted; `field` names the form field it belongs to (None: the whole form)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class Submission:
    """A complaint as any channel hands it over, before validation."""

    text: str
    channel: Channel
    incident_date: dt.date | None = None
    region_code: str | None = None
    district_code: str | None = None
    location_text: str | None = None
    reported_actor: str | None = None  # an actor code, or "unknown"
    phone: str | None = None  # E.164, or as typed: normalised with DEFAULT_PHONE_REGION
    email: str | None = None
    attachments: Sequence[IncomingFile | PreparedFile] = ()


# ---------------------------------------------------------------- validation, shared with the web form

def clean_text(value: str | None, field: str, minimum: int = 0, maximum: int = TEXT_MAX) -> str:
    """Drop control characters (PostgreSQL refuses NUL), unify line ends, strip, and check the length."""
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in _UNWANTED).strip()
    if len(text) < minimum:
        if not text:
            raise SubmissionError("Tell us what happened.", field)
        raise SubmissionError(f"Write at least {minimum} characters so that we can act on it.", field)
    if len(text) > maximum:
        raise SubmissionError(f"Write at most {maximum:,} characters (you wrote {len(text):,}).", field)
    return text


def clean_optional(value: str | None, field: str, maximum: int) -> str | None:
    return clean_text(value, field, 0, maximum) or None


def check_incident_date(value: dt.date | None, today: dt.date | None = None) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if value > (today or utcnow().date()):
        raise SubmissionError("The date cannot be in the future.", "incident_date")
    if value < EARLIEST_INCIDENT:
        raise SubmissionError(f"Give a date after {EARLIEST_INCIDENT.year}.", "incident_date")
    return value


def resolve_place(region_code: str | None, district_code: str | None) -> tuple[Region | None, District | None]:
    """The gazetteer entries for the codes; a district alone implies its region."""
    region = _by_code(Region, region_code)
    district = _by_code(District, district_code)
    if region_code and region is None:
        raise SubmissionError("Choose a region from the list.", "area")
    if district_code and district is None:
        raise SubmissionError("Choose a district from the list.", "area")
    if district is not None:
        if region is not None and district.region_id != region.id:
            raise SubmissionError(f"{district.name} is not in {region.name}.", "area")
        region = district.region
    return region, district


def resolve_reported_actor(code: str | None) -> tuple[str | None, Actor | None]:
    if not code:
        return None, None
    if code == UNKNOWN_ACTOR:
        return UNKNOWN_ACTOR, None
    actor = _by_code(Actor, code)
    if actor is None:
        raise SubmissionError("Choose who was involved from the list, or “I don't know”.", "reported_actor")
    return actor.code, actor


def normalise_phone(raw: str | None) -> str | None:
    """E.164 (+23276123456) from what the person typed; numbers without a prefix use DEFAULT_PHONE_REGION."""
    if not raw or not raw.strip():
        return None
    region = current_app.config.get("DEFAULT_PHONE_REGION") or None
    problem = SubmissionError(
        "Check the phone number: write it as you would dial it, with the country code if it is "
        "not a local number.", "phone")
    if len(raw) > 40:
        raise problem
    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException as exc:
        raise problem from exc
    if not phonenumbers.is_valid_number(number):
        raise problem
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_contact_email(raw: str | None) -> str | None:
    if not raw or not raw.strip():
        return None
    value = raw.strip()
    if len(value) > EMAIL_MAX:
        raise SubmissionError("That email address is too long.", "email")
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise SubmissionError("Check the email address, for example name@example.com.", "email") from exc


def contact_details(phone: str | None, email: str | None) -> dict[str, str] | None:
    given = {"phone": normalise_phone(phone), "email": normalise_contact_email(email)}
    contact = {key: value for key, value in given.items() if value}
    return contact or None


def _by_code(model: type[Coded], code: str | None) -> Coded | None:
    if not code:
        return None
    return db.session.scalar(select(model).where(model.code == code))


# ---------------------------------------------------------------- receiving a complaint

def submit_complaint(submission: Submission, actor: Any = None) -> tuple[Case, str]:
    """Validate and store a complaint: case, public "received" event, files, audit entry. Flushes only.

    Returns the case and its receipt code. The code exists only in this return value: the database keeps
    a keyed hash. `actor` is the staff user entering it on someone's behalf, or None.
    """
    now = utcnow()
    text = clean_text(submission.text, "text", TEXT_MIN.get(submission.channel, 1), TEXT_MAX)
    incident_date = check_incident_date(submission.incident_date, now.date())
    region, district = resolve_place(submission.region_code, submission.district_code)
    location_text = clean_optional(submission.location_text, "location_text", LOCATION_MAX)
    reported_actor, actor_row = resolve_reported_actor(submission.reported_actor)
    contact = contact_details(submission.phone, submission.email)
    files = prepare_uploads(list(submission.attachments))

    code = _fresh_receipt_code()
    case = Case(
        reference=temporary_reference(), receipt_hash=receipt_hash(code), text=text,
        channel=submission.channel, status=CaseStatus.RECEIVED, incident_date=incident_date,
        region=region, district=district, location_text=location_text, reported_actor=reported_actor,
        actor=actor_row, urgent=False, routed_by_hand=False, created_at=now,
    )
    if contact:
        case.contact_encrypted = encrypt_json(contact)
        if contact.get("phone"):
            case.contact_phone_hash = keyed_hash("phone", contact["phone"])
    set_deadlines(case, None, now)
    db.session.add(case)
    db.session.flush()
    case.reference = format_reference(now.year, case.id)
    db.session.add(CaseEvent(case=case, kind="received", to_status=CaseStatus.RECEIVED.value, public=True,
                             created_at=now, detail={"channel": submission.channel.value}))
    for prepared in files:
        save_attachment(case, prepared)
    db.session.flush()
    record_audit(actor, "case.submit", case, after={
        "reference": case.reference, "channel": submission.channel.value, "attachments": len(files),
        "contact_given": contact is not None,
    })
    return case, code


def _fresh_receipt_code() -> str:
    # 10^16 codes make a collision very unlikely, but the column is unique, so never hand out a taken one.
    for _ in range(5):
        code = new_receipt_code()
        taken = db.session.scalar(select(Case.id).where(Case.receipt_hash == receipt_hash(code)))
        if taken is None:
            return code
    raise RuntimeError("could not draw an unused receipt code")


def receive_complaint(submission: Submission, actor: Any = None) -> tuple[Case, str]:
    """The usual sequence for every channel: store and COMMIT the complaint, then route it and commit again.

    Routing can fail (a broken model, a bad rule); the complaint is then kept in the triage queue, so
    nothing the citizen sent is lost.
    """
    case, code = submit_complaint(submission, actor)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()  # removes the files written for it too
        raise
    route_stored_case(case)
    return case, code


def route_stored_case(case: Case) -> None:
    """Classify and route a committed case, committing the result; on failure leave it in triage."""
    from civicwatch.routing.operations import route_new_case

    case_id = case.id
    try:
        route_new_case(case)
        db.session.commit()
    except Exception as exc:  # routing must never lose a stored complaint
        db.session.rollback()
        log.error("routing failed for case %s (%s); it stays in the triage queue", case_id, type(exc).__name__)
        _note_routing_failure(case_id, type(exc).__name__)


def _note_routing_failure(case_id: int, error_name: str) -> None:
    try:
        case = db.session.get(Case, case_id)
        if case is not None and case.body_id is None:
            case.routing_explanation = {"decision": "triage", "reason": f"routing failed ({error_name})"}
            db.session.commit()
    except Exception as exc:
        db.session.rollback()
        log.error("could not record the routing failure on case %s (%s)", case_id, type(exc).__name__)


# ---------------------------------------------------------------- following up

def find_case_by_receipt(code: str | None) -> Case | None:
    """The case whose receipt code this is, or None. Malformed codes are simply not found."""
    digits = normalise_receipt_code(code or "")
    if digits is None:
        return None
    return db.session.scalar(select(Case).where(Case.receipt_hash == receipt_hash(digits)))


def add_complainant_message(
    case: Case, text: str | None, channel: Channel, attachments: Sequence[IncomingFile | PreparedFile] = ()
) -> CaseMessage:
    """Store what the complainant adds (text, files or both). If the body was waiting for them, the
    deadline clock runs again. Public event and audit entry; flushes only."""
    body = clean_text(text, "text", 0, MESSAGE_MAX)
    files = prepare_uploads(list(attachments))
    if not body and not files:
        raise SubmissionError("Write a message or choose a file to send.", "text")
    now = utcnow()
    message = CaseMessage(case=case, kind=MessageKind.FROM_COMPLAINANT, channel=channel, body=body,
                          created_at=now)
    db.session.add(message)
    db.session.flush()
    for prepared in files:
        save_attachment(case, prepared, message)
    waited_since = case.waiting_since
    resumed = resume_deadline_clock(case, now)
    db.session.add(CaseEvent(case=case, kind="complainant_message", public=True, created_at=now, detail={
        "message_id": message.id, "attachments": len(files), "clock_resumed": resumed}))
    db.session.flush()
    record_audit(None, "case.complainant_message", message, case=case,
                 before={"waiting_since": waited_since} if resumed else None,
                 after={"channel": channel.value, "attachments": len(files), "clock_resumed": resumed})
    return message


# ---------------------------------------------------------------- the deadline clock

def pause_deadline_clock(case: Case, now: dt.datetime | None = None) -> bool:
    """Stop the deadline clock while the body waits for the complainant. False if it was already stopped."""
    if case.waiting_since is not None:
        return False
    case.waiting_since = now or utcnow()
    return True


def resume_deadline_clock(case: Case, now: dt.datetime | None = None) -> bool:
    """Run the clock again: deadlines not yet met move later by the time spent waiting.

    The one place that clears `waiting_since`; the case workflow uses it too. False if it was running.
    """
    if case.waiting_since is None:
        return False
    now = now or utcnow()
    paused = max(now - case.waiting_since, dt.timedelta(0))
    if case.acknowledged_at is None and case.acknowledge_due_at is not None:
        case.acknowledge_due_at = case.acknowledge_due_at + paused
    if case.responded_at is None and case.respond_due_at is not None:
        case.respond_due_at = case.respond_due_at + paused
    case.waiting_since = None
    return True
