"""Staff work on a case. Each operation checks permission, changes the case, writes its event and audit
entry, and owes the complainant a message when they should know. They flush; the view commits."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select, update

from civicwatch.accounts.models import Role, User
from civicwatch.audit.operations import record_audit
from civicwatch.cases.deadlines import (
    extended_deadline,
    extension_limit,
    pause_deadline_clock,
    resume_deadline_clock,
    set_deadlines,
    set_deadlines_for_new_body,
)
from civicwatch.cases.models import (
    Case,
    CaseEvent,
    CaseMessage,
    CaseStatus,
    Channel,
    MessageKind,
    Outcome,
    Recommendation,
    Recusal,
    RemedyStatus,
)
from civicwatch.cases.notifications import (
    FEEDBACK_BY_TEXT,
    ROUTED_NEWS,
    STATUS_NEWS,
    extension_news,
    news,
    notify_complainant,
    sms_ending,
    sms_prefix,
)
from civicwatch.cases.permissions import require
from civicwatch.cases.workflow import REASON_MAX, may_work, transition_case
from civicwatch.database import deployment_date, utcnow
from civicwatch.errors import ConflictError, DomainError
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body
from civicwatch.text import NOTE, REASON, Field, check_text

RESPONSE_FIELD = Field(_l("Write the response to the complainant first."),
                       _l("The response to the complainant is too long: at most %(maximum)s characters."))
RECUSAL_FIELD = Field(_l("Write the reason for recusing first."),
                      _l("The reason for recusing is too long: at most %(maximum)s characters."))
MESSAGE_FIELD = Field(_l("Write the message first."),
                      _l("The message is too long: at most %(maximum)s characters."))
EXTENSION_FIELD = Field(_l("Write the reason for the extension first."),
                        _l("The reason for the extension is too long: at most %(maximum)s characters."))
FINDINGS_FIELD = Field(_l("Write the findings first."),
                       _l("The findings are too long: at most %(maximum)s characters."))
RECOMMENDATION_FIELD = Field(_l("Write the recommendation first."),
                             _l("The recommendation is too long: at most %(maximum)s characters."))
DRAFT_FIELD = Field(_l("Write the draft public response first."),
                    _l("The draft public response is too long: at most %(maximum)s characters."))

S = CaseStatus
TEXT_MAX = 20_000
MESSAGE_MAX = 1_600  # ten SMS segments
EXTENSION_REASON_MAX = 1_000


class StaleCaseError(ConflictError):
    """The form was filled in on an older copy of the case than the one now stored."""

    def __init__(self) -> None:
        super().__init__(gettext(
            "Someone else changed this case after you opened it, so your change was not saved. "
            "Reload the case to see what changed, then make your change again."))


def same_version(current: int, posted_version: Any) -> bool:
    """Whether a form was rendered from the `current` version (a missing or garbled one never was)."""
    try:
        return int(posted_version) == current
    except (TypeError, ValueError):
        return False


def check_version(case: Case, posted_version: Any) -> None:
    """Optimistic lock: every case form carries the version it was rendered from."""
    if not same_version(case.version, posted_version):
        raise StaleCaseError()


def lock_case(case_id: int, waiting_for_new_rows: bool = False) -> Case | None:
    """The case, its row locked until the transaction ends and re-read under the lock, so that writers that must not
    pass each other (a hold and an erasure, two erasures, a follow-up and an erasure) are served one after the other:
    FOR NO KEY UPDATE on PostgreSQL; on SQLite, whose reads take no lock, a write that changes nothing takes the
    database's write lock first, and what is read after it is read under that lock.

    Not FOR UPDATE: no case row is deleted nor its key changed, and FOR UPDATE also blocks the FOR KEY SHARE lock
    that every insert of a row referring to the case takes (a related-case proposal, a message, an event). A
    `deliver` worker proposing cases then deadlocked with a batch of follow-ups locking the same cases in another
    order. NO KEY UPDATE still serves the writers above one after the other.

    `waiting_for_new_rows`: FOR UPDATE, which also waits for every open transaction that has inserted a row
    referring to the case (and holds its FOR KEY SHARE lock). An erasure needs it: many such inserts take no
    lock_case (the worker's WhatsApp session template, notices to the complainant), and a row committed after the
    erasure's DELETE would outlive it."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(update(Case).where(Case.id == case_id).values(updated_at=Case.updated_at)
                           .execution_options(synchronize_session=False))
    return db.session.scalar(_LOCK_CASE[not waiting_for_new_rows], {"case_id": case_id})


# By whether the lock is FOR NO KEY UPDATE. Built once: building the statement and its cache key cost more than
# running it, and the SMS worker locks a case for every follow-up text.
_LOCK_CASE = {
    key_share: select(Case).where(Case.id == bindparam("case_id")).with_for_update(key_share=key_share)
    .execution_options(populate_existing=True)
    for key_share in (True, False)
}


def _touch(case: Case) -> None:
    # Changes to rows hanging off the case still count as a change of the case (and bump its version).
    case.updated_at = utcnow()


def _event(case: Case, user: User | None, kind: str, public: bool = False, **detail: Any) -> CaseEvent:
    event = CaseEvent(case=case, user_id=user.id if user else None, kind=kind, public=public,
                      created_at=utcnow(), detail=detail or None)
    db.session.add(event)
    return event


def _tell(case: Case, message: str, **values: object) -> None:
    notify_complainant(case, news(case, message, **values), "status")


# ---------------------------------------------------------------- viewing

def record_case_view(case: Case, user: User, from_another_site: bool = False) -> None:
    """Every staff view of a case is on the record, saying so when the click came from another site's page (a
    link anyone could have put before the staff member)."""
    record_audit(user, "case.view", case, after={"opened_from": "another_site"} if from_another_site else None)


# ---------------------------------------------------------------- status changes



def change_status(case: Case, user: User, target: CaseStatus, reason: str | None = None,
                  response: str | None = None) -> CaseEvent:
    """A status change from the case page; the complainant hears of the ones that concern them."""
    if target is S.RESPONDED:
        response = check_text(response, RESPONSE_FIELD, MESSAGE_MAX)
    event = transition_case(case, target, user, reason=check_text(reason, REASON, REASON_MAX, required=False))
    if target is S.RESPONDED and response:
        _send_to_complainant(case, user, response, purpose="answer", ending=FEEDBACK_BY_TEXT)
    status_news = STATUS_NEWS.get(target)
    if status_news:
        _tell(case, status_news, body=case.body or "CivicWatch", reason=case.status_reason or "")
    return event


# ---------------------------------------------------------------- after routing

def settle_after_routing(case: Case, user: User, previous_body_id: int | None, reason: str) -> None:
    """Deadlines, status and the complainant's news once the case has a new body (routing's case actions call
    this after sending the case on or correcting what the classifier read)."""
    if case.body_id == previous_body_id or case.body_id is None:
        return
    body = db.session.get_one(Body, case.body_id)
    previous = db.session.get(Body, previous_body_id) if previous_body_id is not None else None
    now = utcnow()
    deadlines_before = _deadlines(case)
    _event(case, user, "routed", public=True, body=body.name)
    if case.assigned_to_id is not None:
        case.assigned_to_id = None  # the old body's investigator no longer sees it
    if case.status in (S.RECEIVED, S.TRIAGED):
        # Not yet acknowledged: the clock runs from receipt, with the time it stood still kept.
        set_deadlines_for_new_body(case, previous, body, case.created_at)
        if case.status is S.RECEIVED:
            transition_case(case, S.TRIAGED, user)
    else:
        set_deadlines(case, body, now)  # the new body starts afresh, with its own one extension to give
        # The old body's extension stays in the case's events and audit, not as the case's current extension.
        case.deadline_extended_at, case.deadline_extension_reason = None, None
        if case.waiting_since is not None:  # still waiting for the complainant, from now: the old body's wait is past
            case.waiting_since, case.wait_days_counted = now, 0
        transition_case(case, S.TRIAGED, user, reason=reason)
    record_audit(user, "case.route_deadlines", case, before=deadlines_before,
                 after={**_deadlines(case), "body_id": body.id})
    _tell(case, ROUTED_NEWS, body=body)


def _deadlines(case: Case) -> dict[str, Any]:
    return {"acknowledge_due_at": case.acknowledge_due_at, "respond_due_at": case.respond_due_at,
            "waiting_since": case.waiting_since, "deadline_extended_at": case.deadline_extended_at}


# ---------------------------------------------------------------- people

def assign_case(case: Case, user: User, assignee: User | None) -> None:
    """Give the case to an investigator of its body (or to nobody)."""
    require(user, "assign", case)
    if assignee is not None and not may_work(assignee, case):
        raise DomainError(gettext("Choose an active investigator of the body that holds the case."))
    before = case.assigned_to_id
    case.assigned_to_id = assignee.id if assignee else None
    _event(case, user, "assigned", assignee=assignee.name if assignee else None)
    record_audit(user, "case.assign", case, before={"assigned_to": before},
                 after={"assigned_to": case.assigned_to_id})


def release_case(case: Case, actor: User) -> None:
    """Give the case back to its body's queue: its assignee can no longer work it (moved to another role or
    body)."""
    before = case.assigned_to_id
    case.assigned_to_id = None
    _event(case, actor, "assigned", assignee=None)
    record_audit(actor, "case.assign", case, before={"assigned_to": before}, after={"assigned_to": None})


def recuse_from_case(case: Case, user: User, reason: str | None) -> None:
    """A conflict of interest: the user steps away and can no longer open the case."""
    require(user, "recuse", case)
    reason = check_text(reason, RECUSAL_FIELD, REASON_MAX)
    db.session.add(Recusal(case_id=case.id, user_id=user.id, reason=reason))
    before = case.assigned_to_id
    if case.assigned_to_id == user.id:
        case.assigned_to_id = None
    _touch(case)
    _event(case, user, "recused")
    record_audit(user, "case.recuse", case, before={"assigned_to": before},
                 after={"assigned_to": case.assigned_to_id, "recused": user.id, "reason": reason})


# ---------------------------------------------------------------- notes and messages

def add_note(case: Case, user: User, text: str | None) -> CaseMessage:
    """An internal note: never shown or sent to the complainant."""
    require(user, "note", case)
    note = CaseMessage(case=case, kind=MessageKind.NOTE, author_id=user.id, channel=Channel.WEB,
                       body=check_text(text, NOTE, TEXT_MAX))
    db.session.add(note)
    db.session.flush()
    record_audit(user, "case.note", note, case=case, after={"length": len(note.body)})
    return note


def message_complainant(case: Case, user: User, text: str | None, wait_for_reply: bool = False) -> CaseMessage:
    """A message the complainant reads on the follow-up page, and by SMS when they gave a number.
    `wait_for_reply` stops the deadline clock until they answer."""
    require(user, "message", case)
    if wait_for_reply:
        require(user, "clock", case)
    message = _send_to_complainant(case, user, check_text(text, MESSAGE_FIELD, MESSAGE_MAX),
                                   purpose="question" if wait_for_reply else "reply")
    if wait_for_reply:
        pause_clock(case, user)
    return message


def _send_to_complainant(case: Case, user: User, text: str, purpose: str, ending: str = "") -> CaseMessage:
    """`ending` follows the text in the SMS only (the follow-up page has its own rating and appeal forms)."""
    outbound = notify_complainant(
        case, lambda: sms_prefix(case) + text + sms_ending(ending), purpose)
    message = CaseMessage(case=case, kind=MessageKind.TO_COMPLAINANT, author_id=user.id,
                          channel=Channel.SMS if outbound is not None else Channel.WEB, body=text)
    # A change of the case (its version moves on): the same form sent twice (a double click, a browser's retry)
    # is then refused as stale, and the complainant gets the message once.
    case.updated_at = utcnow()
    db.session.add(message)
    db.session.flush()
    record_audit(user, "case.message", message, case=case,
                 after={"length": len(text), "sms": outbound is not None, "purpose": purpose})
    return message


def pause_clock(case: Case, user: User) -> None:
    require(user, "clock", case)
    if pause_deadline_clock(case, utcnow()):
        _event(case, user, "clock_paused")
        record_audit(user, "case.clock_pause", case, before={"waiting_since": None},
                     after={"waiting_since": case.waiting_since})


def resume_clock(case: Case, user: User) -> None:
    """Staff restart the clock themselves (the complainant answered another way, or will not)."""
    require(user, "clock", case)
    before = {"waiting_since": case.waiting_since, "acknowledge_due_at": case.acknowledge_due_at,
              "respond_due_at": case.respond_due_at}
    if not resume_deadline_clock(case, utcnow()):
        raise DomainError(gettext("The deadline clock is already running."))
    _event(case, user, "clock_resumed")
    record_audit(user, "case.clock_resume", case, before=before,
                 after={"waiting_since": None, "acknowledge_due_at": case.acknowledge_due_at,
                        "respond_due_at": case.respond_due_at})


def extend_deadline(case: Case, user: User, days: int | None, reason: str | None) -> None:
    """Give the body more working days to answer, once, for a reason the complainant reads on the follow-up
    page (and by SMS when they gave a number). Refused a second time."""
    require(user, "extend", case)
    if case.deadline_extended_at is not None:
        raise ConflictError(gettext("The deadline of this case has already been extended once; it cannot be again."))
    if case.respond_due_at is None or case.responded_at is not None:
        raise ConflictError(gettext("This case has no deadline to answer running."))
    limit = extension_limit(case)
    if limit < 1:
        raise ConflictError(gettext("The deadline to answer is already at the law's outer limit (twice the law's "
                                    "time to answer, from receipt): it cannot be extended."))
    if days is None or not 1 <= days <= limit:
        raise DomainError(gettext("Extend the deadline by 1 to %(limit)s working days.", limit=limit))
    reason = check_text(reason, EXTENSION_FIELD, EXTENSION_REASON_MAX)
    before = {"respond_due_at": case.respond_due_at, "deadline_extended_at": None}
    case.respond_due_at = extended_deadline(case, days)
    case.deadline_extended_at, case.deadline_extension_reason = utcnow(), reason
    _event(case, user, "deadline_extended", public=True, days=days)
    outbound = notify_complainant(case, extension_news(case, deployment_date(case.respond_due_at), reason),
                                  "deadline_extended")
    # The reason is the complainant's to read on the case; the audit keeps its length, not its words.
    record_audit(user, "case.extend_deadline", case, before=before,
                 after={"respond_due_at": case.respond_due_at, "deadline_extended_at": case.deadline_extended_at,
                        "days": days, "reason_length": len(reason), "sms": outbound is not None})


# ---------------------------------------------------------------- findings and remedies

def record_findings(case: Case, user: User, outcome: Outcome | None, findings: str | None) -> None:
    require(user, "findings", case)
    if outcome is None:
        raise DomainError(gettext("Choose an outcome."))
    findings = check_text(findings, FINDINGS_FIELD, TEXT_MAX)
    before = {"outcome": case.outcome.value if case.outcome else None, "findings": case.findings}
    case.outcome, case.findings = outcome, findings
    record_audit(user, "case.findings", case, before=before,
                 after={"outcome": outcome.value, "findings": findings})


def add_recommendation(case: Case, user: User, text: str | None) -> Recommendation:
    require(user, "recommend", case)
    recommendation = Recommendation(case=case, text=check_text(text, RECOMMENDATION_FIELD, TEXT_MAX),
                                    status=RemedyStatus.PENDING)
    db.session.add(recommendation)
    _touch(case)
    db.session.flush()
    record_audit(user, "case.recommend", recommendation, case=case,
                 after={"text": recommendation.text, "status": RemedyStatus.PENDING.value})
    return recommendation


def set_remedy_status(case: Case, user: User, recommendation: Recommendation, status: RemedyStatus) -> None:
    """Whether the security agency carried out a recommendation."""
    require(user, "remedy", case)
    if recommendation.case_id != case.id:
        raise DomainError(gettext("That recommendation belongs to another case."))
    before = recommendation.status.value
    recommendation.status = status
    _touch(case)
    record_audit(user, "case.remedy", recommendation, case=case, before={"status": before},
                 after={"status": status.value})


def save_draft_response(case: Case, user: User, text: str | None) -> None:
    """The draft public response; publishing (with redaction and a second approver) happens elsewhere."""
    require(user, "draft_response", case)
    before = case.draft_public_response
    case.draft_public_response = check_text(text, DRAFT_FIELD, TEXT_MAX, required=False) or None
    record_audit(user, "case.draft_response", case, before={"draft_public_response": before},
                 after={"draft_public_response": case.draft_public_response})


# ---------------------------------------------------------------- deadlines (admins)

DEADLINE_FIELDS = ("acknowledge_days", "acknowledge_days_urgent", "respond_days", "respond_days_urgent")


def update_body_deadlines(body: Body, user: User, values: dict[str, int], posted_version: Any) -> None:
    """Change a body's deadlines. They apply to cases the body receives from now on. `posted_version` is the
    deadlines' version the form was rendered from: a save on an older one is refused (409), never merged."""
    if user.role is not Role.ADMIN:
        raise DomainError(gettext("Only administrators change deadlines."))
    db.session.refresh(body, with_for_update=True)  # another administrator's save waits for this one, or wins
    if not same_version(body.deadlines_version, posted_version):
        raise ConflictError(gettext(
            "Someone else changed the deadlines of %(body)s after you opened this page, so your change was not "
            "saved. Saved now: acknowledge within %(acknowledge)s working days (urgent: %(acknowledge_urgent)s), "
            "respond within %(respond)s working days (urgent: %(respond_urgent)s). Your values are kept below: "
            "save them again to replace these.", body=body.local_name, acknowledge=body.acknowledge_days,
            acknowledge_urgent=body.acknowledge_days_urgent, respond=body.respond_days,
            respond_urgent=body.respond_days_urgent))
    if values["acknowledge_days_urgent"] > values["acknowledge_days"]:
        raise DomainError(gettext("An urgent case cannot have longer to be acknowledged than an ordinary one."))
    if values["respond_days_urgent"] > values["respond_days"]:
        raise DomainError(gettext("An urgent case cannot have longer to be answered than an ordinary one."))
    before = {name: getattr(body, name) for name in DEADLINE_FIELDS}
    for name in DEADLINE_FIELDS:
        setattr(body, name, int(values[name]))
    body.deadlines_version += 1
    record_audit(user, "body.deadlines", body, before=before,
                 after={name: getattr(body, name) for name in DEADLINE_FIELDS})

