"""Erasing a case's personal content under its schedule, keeping what the statistics need.

Kept: the case's reference, theme, actor, place (region, district), body, dates, status, outcome and rating; the
allegations' acts, services, subjects, places, dates and findings; remedies' states; routing decisions; the
published (already redacted) answer; the audit log, which only ever holds fingerprints of text. Gone: the
complaint's words and place in words, the complainant's contact details (identity vault) and phone hash, every
message and staff note, attachments and their files, texts in and out (bodies and numbers), the SMS dialogue of
the number (with its last case, the language it chose and its WhatsApp session too), staff texts about the case
(findings, drafts, reasons, recommendations' words, disclosure reasons), the free text in events and routing
explanations, and the labelled examples copied from the complaint.

One case is one transaction. Files cannot be part of it: each file's name is queued (PendingFileRemoval) in the
same transaction, and removed from the disk after the commit. If the process dies in between, the queue row
says which files are left, and the next run (or the worker) removes them first.
"""
from __future__ import annotations

import datetime as dt
import errno
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, exists, or_, select, text, true, update
from sqlalchemy.exc import SQLAlchemyError

from civicwatch.accounts.models import User
from civicwatch.audit.operations import record_audit
from civicwatch.audit.values import FREE_TEXT_FIELDS
from civicwatch.cases.attachments import stored_path
from civicwatch.cases.models import Attachment, Case, CaseEvent, CaseMessage, CaseShare, Recommendation, Recusal
from civicwatch.cases.operations import lock_case
from civicwatch.cases.search import purge_deleted_terms
from civicwatch.classify.models import LabelledExample
from civicwatch.database import rollback_quietly, utcnow
from civicwatch.disclosure.models import DisclosureRequest
from civicwatch.errors import NotFoundError
from civicwatch.extensions import db
from civicwatch.messaging.models import NotSafeToText, OutboundMessage, PhoneLanguage, WhatsAppSession
from civicwatch.messaging.queries import WAITING
from civicwatch.patterns.models import Allegation
from civicwatch.publishing.models import Publication, PublicationStatus
from civicwatch.retention.models import CaseErasure, LegalHold, PendingFileRemoval
from civicwatch.retention.queries import DueCase, active_hold, due_cases, erasure_of, reached_status_at
from civicwatch.sms.models import ConversationState, InboundSms, SmsConversation

log = logging.getLogger(__name__)

# What erased free text becomes (the columns are NOT NULL); pages say "erased" where they find it empty.
ERASED = ""
_CODE = re.compile(r"[a-z0-9][a-z0-9_.:\-]{0,63}")


@dataclass(frozen=True)
class Erased:
    """What one erasure removed, counted (the audit entry keeps these numbers)."""

    messages: int
    attachments: int
    texts_in: int
    texts_out: int
    conversations: int
    examples: int

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


# Keys whose text is the taxonomy's, never the complainant's or staff's: an event's body name ("routed to ...").
_TAXONOMY_NAME_KEYS = frozenset({"body"})


def scrub(value: Any, key: str | None = None) -> Any:
    """A JSON value without free text: numbers, booleans, codes and body names stay; other strings go."""
    if isinstance(value, dict):
        return {k: scrub(v, str(k)) for k, v in value.items() if str(k) not in FREE_TEXT_FIELDS}
    if isinstance(value, list):
        return [scrub(item, key) for item in value]
    if isinstance(value, str):
        return value if _CODE.fullmatch(value) or key in _TAXONOMY_NAME_KEYS else None
    return value


def _still_due(case: Case, due: DueCase) -> bool:
    """Checked under the case's lock: a hold, a new status or a new date since the dry run stops the erasure."""
    if erasure_of(case) is not None or active_hold(case) is not None or case.status is not due.status:
        return False
    reached = db.session.scalar(select(reached_status_at(due.status)).where(Case.id == case.id))
    return reached == due.reached_at


def erase_case(due: DueCase, user: User | None) -> Erased | None:
    """Erase the personal content of the case `due` names, if it is still due. Flushes; the caller commits and
    then calls `remove_pending_files`. None when the case is no longer due (held, reopened, already erased)."""
    _lock_session_of(due.case_id)
    _lock_conversations_of(due.case_id)
    case = lock_case(due.case_id, waiting_for_new_rows=True)
    if case is None:
        raise NotFoundError("There is no such case.")
    if not _still_due(case, due):
        return None
    attachments = _queue_files(case)
    messages = _delete(CaseMessage, CaseMessage.case_id == case.id)
    texts_in, texts_out, conversations = _delete_texts(case)
    # The number stays not safe to text (forgetting it would let texts start again), tied to the case no more.
    db.session.execute(update(NotSafeToText).where(NotSafeToText.case_id == case.id).values(case_id=None)
                       .execution_options(synchronize_session=False))
    examples = _delete(LabelledExample, LabelledExample.case_id == case.id)
    _scrub_case(case)
    _scrub_related(case)
    erased = Erased(messages, attachments, texts_in, texts_out, conversations, examples)
    db.session.add(CaseErasure(case_id=case.id, erased_at=utcnow(), status=due.status.value, months=due.months,
                               user_id=user.id if user else None))
    db.session.flush()
    record_audit(user, "retention.case_erased", case,
                 after={"status": due.status.value, "months": due.months, **erased.as_dict()})
    return erased


def _lock_session_of(case_id: int) -> None:
    """The WhatsApp session of the case's number, which the erasure of its last case deletes, locked first: the SMS
    worker locks it (a WhatsApp text reopens it) before the number's dialogue and the case, and the deliver worker's
    hold before the case. Deleted last without it, the erasure waited for the worker, which waited for the dialogue
    the erasure held (on PostgreSQL a deadlock that failed the erasure)."""
    number = select(Case.contact_phone_hash).where(Case.id == case_id).scalar_subquery()
    db.session.execute(select(WhatsAppSession.id).where(WhatsAppSession.contact_hash == number).with_for_update())


def _lock_conversations_of(case_id: int) -> None:
    """The SMS dialogues the erasure may delete (the case's, its number's), locked before the case: the SMS worker
    locks a number's dialogue, then the case a text is about, and taking them in the other order, each would wait
    for the other (on PostgreSQL a deadlock that fails one of them). A dialogue the worker holds is waited for."""
    number = select(Case.contact_phone_hash).where(Case.id == case_id).scalar_subquery()
    db.session.execute(select(SmsConversation.id)
                       .where(or_(SmsConversation.case_id == case_id, SmsConversation.phone_hash == number))
                       .order_by(SmsConversation.id).with_for_update())


def _delete_texts(case: Case) -> tuple[int, int, int]:
    """The case's texts in and out and its SMS dialogue, and those of its number that name no case: a first text
    kept until the details came (the case's text begins with it), the replies to it, a dialogue gone back to idle.
    Texts still owed to the number stay (a STOP's confirmation); so does a dialogue about another of its cases.
    The number's texts that name no case stay while another of its cases is not erased (they may be that case's
    first words, and it may be under a legal hold): the last of its cases to go takes them. A report the number
    is texting now (a first text kept, waiting for the details) stays, with its texts in and out.
    The last case also takes the number's language (LANG) and WhatsApp session (when it last wrote), unless it is
    texting a report now or a text is still owed to it (sent in its language, within its session). The case's
    hash is the number's on the channel it reported by (`contact_hash`), which keys those rows too. Its opt-out
    stays: it is owed to the number."""
    texts_in, texts_out, dialogue = (InboundSms.case_id == case.id, OutboundMessage.case_id == case.id,
                                     SmsConversation.case_id == case.id)
    number = case.contact_phone_hash
    if number is not None and not _other_cases_of(number, case):
        writing = _report_being_texted_since(number)
        texts_in = or_(texts_in, and_(InboundSms.case_id.is_(None), InboundSms.phone_hash == number,
                                      (InboundSms.received_at < writing) if writing else true()))
        texts_out = or_(texts_out, and_(OutboundMessage.case_id.is_(None), OutboundMessage.to_hash == number,
                                        OutboundMessage.status.not_in(WAITING),
                                        (OutboundMessage.created_at < writing) if writing else true()))
        dialogue = or_(dialogue, and_(SmsConversation.case_id.is_(None), SmsConversation.phone_hash == number,
                                      SmsConversation.state != ConversationState.AWAITING_DETAILS))
        if writing is None and not _text_owed_to(number):
            _delete(PhoneLanguage, PhoneLanguage.phone_hash == number)
            _delete(WhatsAppSession, WhatsAppSession.contact_hash == number)
    return (_delete(InboundSms, texts_in), _delete(OutboundMessage, texts_out),
            _delete(SmsConversation, dialogue))


def _other_cases_of(number: str, case: Case) -> bool:
    """Whether another case not erased yet was sent from the number (an erased case no longer holds it)."""
    return bool(db.session.scalar(select(exists().where(Case.contact_phone_hash == number, Case.id != case.id))))


def _text_owed_to(number: str) -> bool:
    return bool(db.session.scalar(select(exists().where(
        OutboundMessage.to_hash == number, OutboundMessage.status.in_(WAITING)))))


def _report_being_texted_since(number: str) -> dt.datetime | None:
    """When the number's first text of a report still waiting for its details came; None if there is none."""
    return db.session.scalar(select(SmsConversation.pending_since).where(
        SmsConversation.phone_hash == number, SmsConversation.state == ConversationState.AWAITING_DETAILS))


def _delete(model: Any, condition: Any) -> int:
    result = db.session.execute(delete(model).where(condition).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def _queue_files(case: Case) -> int:
    """Queue the case's stored files (cleaned copies and sealed originals) for removal after the commit and
    delete their rows, with the requests to open their originals (which name them)."""
    rows = db.session.execute(select(Attachment.stored_name, Attachment.original_stored_name)
                              .where(Attachment.case_id == case.id)).all()
    names = [name for row in rows for name in row if name]
    now = utcnow()
    db.session.add_all(PendingFileRemoval(stored_name=name, created_at=now) for name in names)
    db.session.flush()
    _delete(DisclosureRequest, (DisclosureRequest.case_id == case.id) & DisclosureRequest.attachment_id.is_not(None))
    _delete(Attachment, Attachment.case_id == case.id)
    return len(rows)


def _scrub_case(case: Case) -> None:
    # A follow-up page open on the case is closed; the receipt code opens it again, read-only (Case.erased).
    case.tracking_generation = (case.tracking_generation or 0) + 1
    case.text = ERASED
    case.location_text = None
    case.findings = None
    case.draft_public_response = None
    case.status_reason = None
    if case.deadline_extension_reason is not None:
        case.deadline_extension_reason = ERASED
    case.contact_phone_hash = None
    case.routing_explanation = scrub(case.routing_explanation) if case.routing_explanation else None
    case.identity = None  # the identity vault's row goes with it (delete-orphan)
    for event in db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.detail.is_not(None))):
        event.detail = scrub(event.detail)


def _scrub_related(case: Case) -> None:
    db.session.execute(update(Recommendation).where(Recommendation.case_id == case.id)
                       .values(text=ERASED).execution_options(synchronize_session=False))
    db.session.execute(update(Allegation).where(Allegation.case_id == case.id)
                       .values(victim=None, location_text=None, remedy=None)
                       .execution_options(synchronize_session=False))
    db.session.execute(update(DisclosureRequest).where(DisclosureRequest.case_id == case.id)
                       .values(reason=ERASED, recipient=None, decision_note=None, legal_bar=None)
                       .execution_options(synchronize_session=False))
    db.session.execute(update(CaseShare).where(or_(CaseShare.case_id == case.id, CaseShare.from_case_id == case.id))
                       .values(reason=None).execution_options(synchronize_session=False))
    db.session.execute(update(Recusal).where(Recusal.case_id == case.id)
                       .values(reason=ERASED).execution_options(synchronize_session=False))
    # The hold itself stays on record (who held the case, when, until when); what staff wrote about it goes.
    db.session.execute(update(LegalHold).where(LegalHold.case_id == case.id)
                       .values(reason=ERASED, lift_reason=None).execution_options(synchronize_session=False))
    for publication in db.session.scalars(select(Publication).where(Publication.case_id == case.id)):
        # The live answer was redacted and approved for the public: it stays; what staff wrote before redaction,
        # and every version the public does not read, go.
        publication.summary_source, publication.response_source = "", ""
        publication.redactions, publication.extra_terms, publication.review_note = [], [], None
        if publication.status is not PublicationStatus.PUBLISHED:
            publication.summary, publication.response = ERASED, ERASED
    db.session.flush()


def remove_pending_files() -> int:
    """Remove the files erasures queued, committing as each goes; returns how many are gone. A file the disk
    will not let go of stays queued (and logged) for the next run."""
    removed = 0
    for pending in list(db.session.scalars(select(PendingFileRemoval).order_by(PendingFileRemoval.id))):
        try:
            stored_path(pending.stored_name).unlink(missing_ok=True)
        except NotFoundError:
            pass  # never a name we gave: nothing of ours on the disk
        except OSError as exc:
            log.warning("retention: a stored file could not be removed (%s); next run tries again",
                        errno.errorcode.get(exc.errno or 0, type(exc).__name__))
            continue
        db.session.delete(pending)
        db.session.commit()
        removed += 1
    return removed


@dataclass
class RetentionRun:
    erased: int = 0
    skipped: int = 0  # no longer due when its turn came (held, reopened, erased by another run)
    failed: int = 0  # the database refused the case's transaction: nothing of it changed; the next run retries
    files_removed: int = 0


def apply_retention(user: User | None, body_ids: list[int] | None = None,
                    progress: Callable[[Sequence[DueCase]], Iterable[DueCase]] = iter) -> RetentionRun:
    """Erase every case due today (of `body_ids`, or all), one transaction per case, files removed after each
    commit; first the files a crashed run left. `progress` wraps the list (a progress bar)."""
    run = RetentionRun(files_removed=remove_pending_files())
    due = due_cases(utcnow().date(), body_ids)
    db.session.rollback()  # the reads end here: each case gets a transaction of its own
    for item in progress(due):
        try:
            erased = erase_case(item, user)
            db.session.commit()
        except SQLAlchemyError as error:
            rollback_quietly(db.session)
            run.failed += 1
            log.warning("retention: case %s not erased (%s); the next run tries again", item.case_id,
                        type(error).__name__)
            continue
        if erased is None:
            run.skipped += 1
            continue
        run.erased += 1
        run.files_removed += remove_pending_files()
    if run.erased:
        purge_sqlite_leftovers()
    return run


def purge_sqlite_leftovers() -> None:
    """On SQLite, the erased words leave the file: the search indexes' terms of the old rows are merged away,
    and the write-ahead log, which holds pages as they were, is written back and emptied (deleted bytes are zeroed
    as they go: secure_delete, civicwatch.database). A failure is logged; the next run's erasures try again."""
    if db.session.get_bind().dialect.name != "sqlite":
        return
    try:
        purge_deleted_terms(db.session.connection())
        db.session.commit()
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.commit()
    except SQLAlchemyError as error:
        rollback_quietly(db.session)
        log.warning("retention: the search index and write-ahead log were not purged (%s)", type(error).__name__)
