"""Receiving complaints from any channel, and what complainants add later. Flush, never commit,
except `receive_complaint`, whose whole point is to make the complaint durable before anything else runs.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from flask import current_app
from flask_babel import gettext
from sqlalchemy import Table, bindparam, insert, inspect, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from civicwatch.audit.operations import record_audit
from civicwatch.cases.attachments import (
    IncomingFile,
    PreparedFile,
    prepare_uploads,
    save_attachment,
)
from civicwatch.cases.closure_words import filed_after_closure
from civicwatch.cases.counts import count_new_case
from civicwatch.cases.deadlines import bring_deadlines_forward, resume_deadline_clock, set_deadlines
from civicwatch.cases.identity import contact_of, store_contact
from civicwatch.cases.models import Attachment, Case, CaseEvent, CaseMessage, CaseStatus, Channel, MessageKind
from civicwatch.cases.new_rows import insert_new_case
from civicwatch.cases.operations import lock_case
from civicwatch.cases.reference_numbers import public_reference
from civicwatch.cases.references import (
    code_shaped_numbers,
    new_receipt_code,
    receipt_hash,
    replace_code_shaped,
    temporary_reference,
)
from civicwatch.classify.language import detect_language
from civicwatch.database import add_inserted, connection_lost, deployment_date, rollback_quietly, utcnow
from civicwatch.errors import ConflictError
from civicwatch.extensions import db
from civicwatch.intake.idempotency import (
    IdempotencyKey,
    erase_expired_receipts_when_due,
    insert_submission_key,
    submission_key_values,
)
from civicwatch.intake.models import QueuedReport
from civicwatch.intake.validation import (
    LOCATION_MAX,
    MESSAGE_MAX,
    TEXT_MAX,
    TEXT_MIN,
    SubmissionError,
    check_incident_date,
    clean_optional,
    clean_text,
    contact_details,
    normalise_phone,
    resolve_place,
    resolve_reported_actor,
)
from civicwatch.messaging.operations import remember_phone_language, set_safe_to_text
from civicwatch.phones import SMS
from civicwatch.routing import operations as routing
from civicwatch.text import one_line

log = logging.getLogger(__name__)

# A web message with the same words and files as the complainant's last one, within this, is that form sent again.
RESEND_WINDOW = dt.timedelta(minutes=30)
# What stands in the stored words for a receipt code the complainant wrote into them.
RECEIPT_CODE_REMOVED = "[receipt code removed]"


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
    urgent: bool = False  # the sender says someone is hurt, held or threatened right now
    keep_originals: bool = False  # the sender asks to keep the files as sent, sealed, as evidence
    fears_retaliation: bool = False  # the sender fears retaliation: check-ins after closure
    texts_by: str = SMS  # how texts reach `phone`: "sms" or "whatsapp"
    # Whether texts we start may go to `phone` (the web form's question); None: not asked, the number keeps what
    # it had (no answer ever: safe to text, as for a citizen who reports by SMS from that phone).
    texts_allowed: bool | None = None
    # The language the sender chose (the page's, or the phone's by LANG): decides only when the text does not.
    language_hint: str | None = None
    # A report queued by the web form (intake.queue): the hash of the receipt code its sender holds already, which
    # its case takes, and when it was received (its deadlines count from then).
    receipt_hash: str | None = None
    received_at: dt.datetime | None = None


@dataclass(frozen=True)
class Receipt:
    """What the sender of a stored complaint is told, as plain values: usable after the commit without the
    database, which may be gone by then."""

    case_id: int
    reference: str
    code: str
    files: tuple[tuple[str, str], ...] = ()  # (name, SHA-256 of the file as sent) for each file


# ---------------------------------------------------------------- receiving a complaint

@dataclass
class DraftComplaint:
    """A complaint validated and made into a case, not yet written: everything that needs no write is done."""

    case: Case
    code: str
    files: list[PreparedFile]
    contact_given: bool

    @property
    def fingerprints(self) -> tuple[tuple[str, str], ...]:
        """What the receipt shows of each file: its name and the SHA-256 of the bytes as they were sent."""
        return tuple((item.original_name, item.original_sha256) for item in self.files if item.original_sha256)


def submit_complaint(submission: Submission, actor: Any = None) -> tuple[Case, str]:
    """Validate and store a complaint: case, public "received" event, files, audit entry. Flushes only.

    Returns the case and its receipt code. The code exists only in this return value: the database keeps
    a keyed hash. `actor` is the staff user entering it on someone's behalf, or None.
    """
    draft = draft_complaint(submission)
    store_complaint(draft, submission, actor)
    return draft.case, draft.code


def draft_complaint(submission: Submission, code_looked_up: bool = True) -> DraftComplaint:
    """Validate a complaint and build its case, without writing anything (it may read). `code_looked_up=False`:
    its receipt code is not checked against the stored ones; for a caller that stores the case again with a
    checked code when its INSERT fails (see _store_routed)."""
    now = submission.received_at or utcnow()
    text = without_receipt_codes(clean_text(submission.text, "text", TEXT_MIN.get(submission.channel, 1), TEXT_MAX))
    incident_date, region, district, location_text, (reported_actor, actor_row), contact = _checked_fields(
        submission, now)
    files = prepare_uploads(list(submission.attachments), submission.keep_originals)

    if submission.receipt_hash is not None:  # its sender holds a code already: that one, none drawn
        code = _given_receipt_code()
    else:
        code = _fresh_receipt_code() if code_looked_up else _unchecked_receipt_code()
    case = Case(
        reference=temporary_reference(), receipt_hash=submission.receipt_hash or receipt_hash(code), text=text,
        channel=submission.channel, status=CaseStatus.RECEIVED, incident_date=incident_date,
        region=region, district=district, location_text=location_text, reported_actor=reported_actor,
        actor=actor_row, urgent=submission.urgent, routed_by_hand=False, created_at=now,
        fears_retaliation=submission.fears_retaliation,
        language=detect_language(text, submission.language_hint).language,
    )
    store_contact(case, contact)
    set_deadlines(case, None, now)
    return DraftComplaint(case, code, files, contact is not None)


def check_submission(submission: Submission) -> None:
    """Raise SubmissionError for what draft_complaint would refuse in a complaint without files, writing nothing:
    for a report checked now and filed later."""
    clean_text(submission.text, "text", TEXT_MIN.get(submission.channel, 1), TEXT_MAX)
    _checked_fields(submission, utcnow())


def _checked_fields(submission: Submission, now: dt.datetime) -> tuple[Any, ...]:
    return (check_incident_date(submission.incident_date, deployment_date(now)),
            *resolve_place(submission.region_code, submission.district_code),
            clean_optional(one_line(submission.location_text), "location_text", LOCATION_MAX),
            resolve_reported_actor(submission.reported_actor),
            contact_details(submission.phone, submission.email, submission.texts_by))


def store_complaint(draft: DraftComplaint, submission: Submission, actor: Any = None,
                    key: dict[str, Any] | None = None, route: routing.PlannedRoute | None = None) -> None:
    """Write a drafted complaint: case (with its idempotency `key`, see submission_key_values, right after it),
    public "received" event (with the "routed" one of a `route` planned into the case), files, audit entry.
    Flushes only."""
    case, files = draft.case, draft.files
    with _writing_the_route(route):
        insert_new_case(case)
    if key is not None:
        insert_submission_key(key, case.id)
    # Nothing reads the events back through the session in this transaction: a statement built once, not a mapper
    # more in the flush of the case (the unit of work of a flush costs several times the statement).
    received = {"case_id": case.id, "kind": "received", "to_status": CaseStatus.RECEIVED.value, "public": True,
                "created_at": case.created_at, "detail": {"channel": submission.channel.value}}
    routed = route.routed_event(case) if route is not None else None
    # With a body, both events in one executemany: one INSERT of two rows on PostgreSQL (insertmanyvalues), one
    # call on SQLite. (A two-row VALUES construct has no cache key: it would be compiled for every report.)
    with _writing_the_route(route):
        db.session.connection().execute(_INSERT_RECEIVED, received if routed is None else [
            received, {**routed, "to_status": None}])
    _store_reference(case)
    count_new_case(case)
    _remember_page_language(case, submission)
    phone = normalise_phone(submission.phone)
    if phone and submission.texts_allowed is False:  # a new case: no "No" to lift
        set_safe_to_text(phone, False, "report", case.id)
    for prepared in files:
        save_attachment(case, prepared)
    record_audit(actor, "case.submit", case, after={
        "reference": case.reference, "channel": submission.channel.value, "attachments": len(files),
        "contact_given": draft.contact_given, "urgent_by_sender": submission.urgent,
        "originals_kept": sum(prepared.original is not None for prepared in files),
        "fears_retaliation": submission.fears_retaliation, "language": case.language,
        **({"texts_allowed": submission.texts_allowed} if submission.texts_allowed is not None else {}),
    })


def without_receipt_codes(text: str) -> str:
    """The words with every case's receipt code they quote taken out. A code opens its case's follow-up page, and
    the staff who read these words may not handle that case. A queued web report's code counts (intake.queue): the
    case it becomes opens with it. Numbers of the same shape that are nobody's code stay as written. Reads only
    when the text holds such a number."""
    hashes = code_shaped_numbers(text)
    if not hashes:
        return text
    wanted = set(hashes.values())
    real = set(db.session.scalars(select(Case.receipt_hash).where(Case.receipt_hash.in_(wanted)).union_all(
        select(QueuedReport.receipt_hash).where(QueuedReport.receipt_hash.in_(wanted)))))
    return replace_code_shaped(text, lambda number: RECEIPT_CODE_REMOVED if hashes[number] in real else number)


def _store_reference(case: Case) -> None:
    """The case's public reference, made from its id once its row is inserted (a keyed permutation: it tells
    nothing of how many cases came before). One UPDATE, as a flush of the case
    would write it (with the version and update time moved on), without the unit of work of a second flush of
    the case, which costs far more than the statement."""
    reference = public_reference(case.created_at.year, case.id)
    updated_at, version = utcnow(), case.version + 1
    result = db.session.connection().execute(_SET_REFERENCE, {
        "case_id": case.id, "old_version": case.version, "new_reference": reference, "new_updated_at": updated_at,
        "new_version": version})
    if result.rowcount != 1:
        raise StaleDataError(f"case {case.id} changed before its reference was stored")
    for name, value in (("reference", reference), ("updated_at", updated_at), ("version", version)):
        set_committed_value(case, name, value)


_CASES = cast(Table, Case.__table__)
_SET_REFERENCE = update(_CASES).where(
    _CASES.c.id == bindparam("case_id"), _CASES.c.version == bindparam("old_version")
).values(reference=bindparam("new_reference"), updated_at=bindparam("new_updated_at"),
         version=bindparam("new_version"))


def _remember_page_language(case: Case, submission: Submission) -> None:
    # Someone who reported on the French or Krio page gets the case's texts in that language, unless the number
    # chose one with LANG already.
    language = submission.language_hint
    if (submission.channel is Channel.WEB and case.contact_phone_hash is not None and language is not None
            and language in current_app.config["LANGUAGES"]):
        remember_phone_language(case.contact_phone_hash, language, replace=False)


def reissue_receipt_code(case: Case) -> str:
    """A new receipt code for `case`, for a complainant who never received the first one (a report texted after
    STOP, whose receipt was not sent). The unseen code stops working. Flushes only."""
    code = _fresh_receipt_code()
    case.receipt_hash = receipt_hash(code)
    record_audit(None, "case.receipt_reissue", case, after={"cause": "texts_turned_on"})
    db.session.flush()
    return code


# Built once: building a statement and its cache key costs more than running it.
_RECEIPT_TAKEN = select(Case.id).where(Case.receipt_hash == bindparam("receipt_hash"))


def _fresh_receipt_code() -> str:
    # 10^16 codes make a collision very unlikely, but the column is unique, so never hand out a taken one.
    # On the session's connection (the ORM's execution of the query cost more than the statement), after the flush
    # the ORM's query would have made first.
    db.session.flush()
    for _ in range(5):
        code = new_receipt_code()
        taken = db.session.connection().scalar(_RECEIPT_TAKEN, {"receipt_hash": receipt_hash(code)})
        if taken is None:
            return code
    raise RuntimeError("could not draw an unused receipt code")


def _unchecked_receipt_code() -> str:
    db.session.flush()  # what is pending is written before the case, as with a code looked up
    return new_receipt_code()


def _given_receipt_code() -> str:
    """For a case whose code its sender holds already (only its hash is kept): none to draw or give out."""
    db.session.flush()  # as with a code drawn
    return ""


def receive_complaint(submission: Submission, actor: Any = None, key: IdempotencyKey | None = None,
                      on_stored: Callable[[Case], object] | None = None) -> Receipt:
    """Store, route and COMMIT a complaint, in one transaction. `on_stored` writes what goes with the case
    (an assisted report's record) in that transaction, before routing.

    The model reads the text and routing is planned before anything is written, so no lock is held while they
    work. Routing that fails (a broken model, a bad rule, a database error while routing) leaves the complaint in
    the triage queue with the reason, so nothing the citizen sent is lost, and the receipt is still returned. With
    an idempotency `key` (see idempotency.receive_once) the key is stored with the case, in its first flush.
    """
    draft = _store_routed(submission, actor, on_stored, key, in_savepoint=False)
    files = draft.fingerprints
    receipt = Receipt(draft.case.id, draft.case.reference, draft.code, files)
    if key is not None:
        erase_expired_receipts_when_due()
    commit_complaint()
    return receipt


def file_queued_complaint(submission: Submission, key_row: dict[str, Any],
                          reading: routing.ModelReading | None = None) -> int:
    """Store and route a web report that waited in the queue (intake.queue), as receive_complaint would have when
    it came, but without committing: the caller removes it from the queue in the same transaction. Its case takes
    the receipt code's hash its sender was given (`submission.receipt_hash`) and `key_row`, its form key's row as
    sealed then (submission_key_values), so that a retry of the form finds the case. Returns the case's id.
    In a savepoint: a failed write of the route rolls back only that, and the caller keeps its lock on the queued
    row (a rolled-back transaction would free it for another worker to file the same report meanwhile).
    `reading`: the model's, read with the other reports of the worker's batch (read_reports); None: read here."""
    draft = _store_routed(submission, None, None, None, in_savepoint=True, key_row=key_row, reading=reading)
    erase_expired_receipts_when_due()
    return draft.case.id


def submit_and_route_complaint(submission: Submission, actor: Any = None,
                               on_stored: Callable[[Case], object] | None = None) -> tuple[Case, str]:
    """submit_complaint, then route the case in the same transaction, which the caller may share with other work
    (the SMS worker answers a batch of texts in one). The model reads the text and routing is planned before
    anything is written, so no lock this call takes is held while they work. Flushes only.

    As in receive_complaint, the planned route is written by the case's own INSERT, then its decision, audit
    entry and the after-routing steps by plain statements, all in one savepoint. If a write that carries the
    route fails, only that savepoint is rolled back: the complaint is stored again, unrouted, then routed step by
    step, each part in a savepoint of its own (routing that fails leaves the case in triage with the reason)."""
    draft = _store_routed(submission, actor, on_stored, None, in_savepoint=True)
    return draft.case, draft.code


def _store_routed(submission: Submission, actor: Any, on_stored: Callable[[Case], object] | None,
                  key: IdempotencyKey | None, in_savepoint: bool,
                  key_row: dict[str, Any] | None = None,
                  reading: routing.ModelReading | None = None) -> DraftComplaint:
    """Draft the complaint and write it with its planned route in the case's own INSERT, then its decision, audit
    entry and the after-routing steps by plain statements (`in_savepoint`: all in one savepoint, for a caller whose transaction
    holds other work). If a write that carries the route fails, the transaction (or that savepoint) is rolled back
    and the complaint stored again, unrouted, then routed step by step, each part in a savepoint of its own
    (routing that fails leaves the case in triage with the reason). `key_row`: the form key's row made already
    (a queued report's), instead of one made of `key`. `reading`: the model's, read already (None: read here).
    Returns the draft stored."""
    if reading is None:
        reading = _reading(submission)
    # Its receipt code unchecked: one chance in about 10^16 / (cases stored) that it is taken, and then the
    # case's INSERT, which carries the route, fails on the unique column and the report is stored again below
    # with a code looked up. A statement less for every other report.
    draft = draft_complaint(submission, code_looked_up=False)
    plan = routing.plan_fresh_route(draft.case, reading)
    try:
        with db.session.begin_nested() if in_savepoint else contextlib.nullcontext():
            with _writing_the_route(True):
                route = routing.plan_into_new_case(draft.case, plan)
            store_complaint(draft, submission, actor, key_row or _key_row(key, draft), route)
            if on_stored is not None:
                on_stored(draft.case)
            with _writing_the_route(route):
                routing.write_planned_route(draft.case, route)
    except _RouteNotStoredError as failure:
        log.warning("storing a new complaint with its route failed (%s); stored again, then routed step by step",
                    type(failure.__cause__).__name__)
        # On PostgreSQL a failed statement aborts the transaction: without a savepoint, it is all rolled back.
        draft = _draft_again(draft, submission) if in_savepoint else _store_again(draft, submission)
        store_complaint(draft, submission, actor, key_row or _key_row(key, draft))
        if on_stored is not None:
            on_stored(draft.case)
        routing.route_fresh_case_step_by_step(draft.case, routing.plan_fresh_route(draft.case, reading))
    return draft


def _reading(submission: Submission) -> routing.ModelReading | None:
    return routing.read_complaint(_readable_text(submission))


def read_reports(submissions: Sequence[Submission]) -> list[routing.ModelReading | None]:
    """The model's readings of several reports' texts, read together (routing.read_complaints), for filing each
    with its own; None for a text the form's check refuses (filing it says why) or that the model could not read."""
    texts: dict[int, str] = {}
    for index, submission in enumerate(submissions):
        try:
            texts[index] = _readable_text(submission)
        except SubmissionError:
            continue
    readings = dict(zip(texts, routing.read_complaints(list(texts.values())), strict=True))
    return [readings.get(index) for index in range(len(submissions))]


def _readable_text(submission: Submission) -> str:
    return clean_text(submission.text, "text", TEXT_MIN.get(submission.channel, 1), TEXT_MAX)


def _key_row(key: IdempotencyKey | None, draft: DraftComplaint) -> dict[str, Any] | None:
    files = draft.fingerprints
    return None if key is None else submission_key_values(key, draft.code, {"files": files} if files else None)


class _RouteNotStoredError(Exception):
    """A write that carries a new complaint's planned route failed (`__cause__`): see _store_routed. The other failures of storing (a concurrent twin's key, a full disk) are raised as they are."""


@contextlib.contextmanager
def _writing_the_route(route: object) -> Iterator[None]:
    """Raise a failure of what is done inside as _RouteNotStoredError when it writes a planned `route` (not None);
    a lost connection as it is (the transaction is gone: the caller's retry stores the report)."""
    try:
        yield
    except Exception as exc:
        if route is None or connection_lost(exc):
            raise
        raise _RouteNotStoredError from exc


def _store_again(draft: DraftComplaint, submission: Submission) -> DraftComplaint:
    """After the transaction that stored `draft` was rolled back: the same complaint drafted again, with the files
    as prepared the first time (and a new receipt code: the first one was never given out)."""
    rollback_quietly(db.session)  # removes the files written for it too
    return _draft_again(draft, submission)


def _draft_again(draft: DraftComplaint, submission: Submission) -> DraftComplaint:
    """After the transaction or savepoint that stored `draft` was rolled back (which took its case out of the
    session: civicwatch.database.add_inserted): the complaint drafted again."""
    return draft_complaint(dataclasses.replace(submission, attachments=draft.files))


def commit_complaint() -> None:
    try:
        db.session.commit()
    except Exception:
        rollback_quietly(db.session)  # removes the files written for it too
        raise


def route_stored_case(case: Case) -> None:
    """Classify and route a committed case, committing the result; on failure leave it in triage. Never raises."""
    case_id = _committed_id(case)
    try:
        routing.route_new_case(case)
        db.session.commit()
    except Exception as exc:  # routing must never lose a stored complaint
        rollback_quietly(db.session)
        log.error("routing failed for case %s (%s); it stays in the triage queue", case_id, type(exc).__name__)
        _note_routing_failure(case_id, type(exc).__name__)


def _committed_id(case: Case) -> int:
    # From the identity map: after the commit every attribute is expired, and reading case.id would query.
    identity = inspect(case).identity
    return int(identity[0]) if identity else case.id


def _note_routing_failure(case_id: int, error_name: str) -> None:
    try:
        case = db.session.get(Case, case_id)
        if case is not None and case.body_id is None:
            case.routing_explanation = {"decision": "triage", "reason": f"routing failed ({error_name})"}
            db.session.commit()
    except Exception as exc:
        rollback_quietly(db.session)
        log.error("could not record the routing failure on case %s (%s)", case_id, type(exc).__name__)


# ---------------------------------------------------------------- following up

def answer_texts_question(case: Case, allowed: bool) -> None:
    """The complainant's answer, on the follow-up page, to whether texts we start may go to the phone they gave
    (see messaging.operations.set_safe_to_text). A change is audited: the answer, never the number. Flushes."""
    if set_safe_to_text(contact_of(case)["phone"], allowed, "follow_up", case.id):
        record_audit(None, "case.texts_allowed", case, before={"texts_allowed": not allowed},
                     after={"texts_allowed": allowed})


def add_complainant_message(
    case: Case, text: str | None, channel: Channel, attachments: Sequence[IncomingFile | PreparedFile] = (),
    locked: bool = False,
) -> CaseMessage:
    """Store what the complainant adds (text, files or both). If the body was waiting for them, the
    deadline clock runs again. Public event and audit entry; flushes only. A web message that repeats their last
    one (words and files) within RESEND_WINDOW is that form sent again: the stored message is returned.

    The case is locked and read again first: an erasure committed since the page was read would otherwise leave the
    message on the erased case for ever, and the same form sent from two tabs at once would be stored twice.
    `locked`: the caller did so already in this transaction (lock_case), and `case` is what it read."""
    if not locked:
        lock_case(case.id)
    if case.erased:
        raise ConflictError(gettext("The case's personal content was erased: nothing more can be added to it."))
    body = without_receipt_codes(clean_text(text, "text", 0, MESSAGE_MAX))
    files = prepare_uploads(list(attachments))
    if not body and not files:
        raise SubmissionError("message_empty", "text")
    now = utcnow()
    if channel is Channel.WEB:
        sent_before = _same_message_sent_before(case, body, files, now)
        if sent_before is not None:
            return sent_before
    # By id, not `case=case`: the relationship would pull the case (and every relationship of it) into both
    # flushes, about a millisecond each on the SMS worker's path. Nothing reads case.messages or case.events
    # in the transaction that adds them (the views commit and redirect).
    message = _insert_message(CaseMessage(case_id=case.id, kind=MessageKind.FROM_COMPLAINANT, channel=channel,
                                          body=body, created_at=now, after_closure=filed_after_closure(case)))
    for prepared in files:
        save_attachment(case, prepared, message)
    waited_since = case.waiting_since
    resumed = resume_deadline_clock(case, now)
    # Nothing reads the event back in this transaction: written at once by a statement built once, rather than by
    # a flush of its own (the unit of work of a flush costs several times the statement).
    db.session.connection().execute(_INSERT_EVENT, {
        "case_id": case.id, "kind": "complainant_message", "public": True, "created_at": now,
        "detail": {"message_id": message.id, "attachments": len(files), "clock_resumed": resumed}})
    record_audit(None, "case.complainant_message", message, case=case,
                 before={"waiting_since": waited_since} if resumed else None,
                 after={"channel": channel.value, "attachments": len(files), "clock_resumed": resumed,
                        "after_closure": message.after_closure})
    return message


def _insert_message(message: CaseMessage) -> CaseMessage:
    """Write a new message by an INSERT built once and add it to the session, persistent, as a flush of it would
    (the unit of work of a flush of its own cost several times the statement on the SMS worker's path)."""
    row = db.session.connection().execute(_INSERT_MESSAGE, {
        "case_id": message.case_id, "kind": message.kind, "channel": message.channel, "body": message.body,
        "created_at": message.created_at, "after_closure": message.after_closure}).one()
    for name, value in row._mapping.items():
        set_committed_value(message, str(name), value)
    add_inserted(db.session(), message)
    return message


_MESSAGES = cast(Table, CaseMessage.__table__)
_INSERT_MESSAGE = insert(_MESSAGES).values(
    case_id=bindparam("case_id"), kind=bindparam("kind"), channel=bindparam("channel"), body=bindparam("body"),
    created_at=bindparam("created_at"), after_closure=bindparam("after_closure"),
).returning(_MESSAGES.c.id, _MESSAGES.c.author_id, _MESSAGES.c.read_at)
_EVENTS = cast(Table, CaseEvent.__table__)
_INSERT_EVENT = insert(_EVENTS).values(
    case_id=bindparam("case_id"), kind=bindparam("kind"), public=bindparam("public"),
    created_at=bindparam("created_at"), detail=bindparam("detail"))
_INSERT_RECEIVED = _INSERT_EVENT.values(to_status=bindparam("to_status"))


def _same_message_sent_before(case: Case, body: str, files: Sequence[PreparedFile],
                              now: dt.datetime) -> CaseMessage | None:
    """The complainant's last web message on the case if it has these words and files and is recent: the same
    form sent again after its first answer was lost (a dropped connection, a database outage at the commit)."""
    last = db.session.scalars(
        select(CaseMessage)
        .where(CaseMessage.case_id == case.id, CaseMessage.kind == MessageKind.FROM_COMPLAINANT)
        .order_by(CaseMessage.created_at.desc(), CaseMessage.id.desc()).limit(1)
    ).first()
    if last is None or last.channel is not Channel.WEB or last.body != body or now - last.created_at > RESEND_WINDOW:
        return None
    stored = db.session.scalars(select(Attachment.original_sha256).where(Attachment.message_id == last.id)).all()
    same_files = sorted(sha or "" for sha in stored) == sorted(prepared.original_sha256 for prepared in files)
    return last if same_files else None


def mark_urgent_by_complainant(case: Case) -> bool:
    """The complainant says someone is hurt, held or threatened right now, after the report was stored (the
    SMS question): the same as the web form's "Yes", combined (OR) with the model's urgency. Deadlines move
    to the urgent windows; audited. False if the case was urgent already. Flushes only."""
    if case.urgent:
        record_audit(None, "case.urgent_by_sender", case, after={"urgent": True, "changed": False})
        return False
    case.urgent = True
    before = {"acknowledge_due_at": case.acknowledge_due_at, "respond_due_at": case.respond_due_at}
    bring_deadlines_forward(case, case.body)
    db.session.flush()
    record_audit(None, "case.urgent_by_sender", case, before={"urgent": False, **before}, after={
        "urgent": True, "acknowledge_due_at": case.acknowledge_due_at, "respond_due_at": case.respond_due_at})
    return True
