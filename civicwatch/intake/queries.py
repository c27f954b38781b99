"""What a complainant sees of their case: plain words, public events only, never internal notes; and finding
the case from its receipt code."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import LazyString, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from civicwatch.cases.deadlines import RUNNING_STATUSES, deadline_state
from civicwatch.cases.models import TEXT_CHANNELS, Attachment, Case, CaseEvent, CaseMessage, CaseStatus, MessageKind
from civicwatch.cases.references import normalise_receipt_code, receipt_hash
from civicwatch.database import deployment_date, utcnow
from civicwatch.extensions import db
from civicwatch.i18n import current_language
from civicwatch.publishing.models import Publication
from civicwatch.publishing.queries import live_publication
from civicwatch.taxonomy.queries import recorded_body_name

THE_BODY = _l("the oversight body")

# What each status means to the person who reported, in their words rather than ours.
STATUS_WORDS: dict[CaseStatus, LazyString] = {
    CaseStatus.RECEIVED: _l("Received. We are checking which oversight body can act on it."),
    CaseStatus.TRIAGED: _l("Passed to {body}. Waiting for them to confirm they have it."),
    CaseStatus.ACKNOWLEDGED: _l("{body} has confirmed it has your case."),
    CaseStatus.INVESTIGATING: _l("Under investigation by {body}."),
    CaseStatus.RESPONDED: _l("Answered by {body}."),
    CaseStatus.CLOSED: _l("Closed."),
    CaseStatus.REJECTED: _l("Not taken up."),
    CaseStatus.REFERRED: _l("Passed to another organisation that can deal with it."),
    CaseStatus.WITHDRAWN: _l("Withdrawn."),
    CaseStatus.REOPENED: _l("Opened again by {body}."),
}

EVENT_WORDS: dict[str, LazyString] = {
    CaseStatus.RECEIVED.value: _l("We received your report."),
    CaseStatus.TRIAGED.value: _l("Your report was checked and passed to {body}."),
    CaseStatus.ACKNOWLEDGED.value: _l("{body} confirmed it has your case."),
    CaseStatus.INVESTIGATING.value: _l("The investigation started."),
    CaseStatus.RESPONDED.value: _l("{body} answered."),
    CaseStatus.CLOSED.value: _l("Your case was closed."),
    CaseStatus.REJECTED.value: _l("Your case could not be taken up."),
    CaseStatus.REFERRED.value: _l("Your case was passed to another organisation."),
    CaseStatus.WITHDRAWN.value: _l("Your case was withdrawn."),
    CaseStatus.REOPENED.value: _l("Your case was opened again."),
    "routed": _l("Your report was passed to {body}."),
    "complainant_message": _l("You sent more information."),
    "message_to_complainant": _l("The investigators sent you a message."),
    "answer_published": _l("The answer to your case was published."),
    "answer_withdrawn": _l("The published answer was withdrawn."),
    "answer_rated": _l("You rated the answer."),
    "deadline_extended": _l("{body} needs more time to answer."),
}
# A case still "received" once routing has chosen its body: it waits for that body, not for us.
PASSED_ON_WORDS = STATUS_WORDS[CaseStatus.TRIAGED]
# Events that say the case went to a body: a second one naming the same body repeats the first.
PASSED_ON_KINDS = frozenset({"routed", CaseStatus.TRIAGED.value})
# Statuses where the reason staff wrote for the complainant is shown.
REASON_SHOWN = {CaseStatus.REJECTED, CaseStatus.REFERRED, CaseStatus.WITHDRAWN, CaseStatus.CLOSED}


@dataclass
class TimelineEntry:
    at: dt.datetime
    text: str


@dataclass(frozen=True)
class Progress:
    """How long the case has waited, and what should happen next by when."""

    days_waited: int
    next_step: str | None  # e.g. "Police Oversight Board normally answers by"
    due_at: dt.datetime | None
    overdue: bool
    clock_stopped: bool  # the body waits for the complainant
    due_on: dt.date | None = None  # the deadline's day in the deployment's calendar
    extension_reason: str | None = None  # why the body took more time to answer, in its words


@dataclass
class ConversationEntry:
    at: dt.datetime
    from_complainant: bool
    body: str
    file_names: list[str] = field(default_factory=list)
    withheld: bool = False  # a text from the report's number, whose words this page does not show (see below)


def find_case_by_receipt(code: str | None) -> Case | None:
    """The case whose receipt code this is, or None. Malformed codes are simply not found."""
    digits = normalise_receipt_code(code or "")
    if digits is None:
        return None
    return db.session.scalar(select(Case).where(Case.receipt_hash == receipt_hash(digits)))


def body_name(case: Case) -> str:
    return case.body.local_name if case.body is not None else str(THE_BODY)


def status_words(case: Case) -> str:
    template = STATUS_WORDS.get(case.status) or _l("Being handled.")
    if case.status is CaseStatus.RECEIVED and case.body is not None:
        template = PASSED_ON_WORDS
    words = template.format(body=body_name(case))
    return words[0].upper() + words[1:]


def status_reason(case: Case) -> str | None:
    return case.status_reason if case.status in REASON_SHOWN and case.status_reason else None


def progress(case: Case, now: dt.datetime | None = None) -> Progress | None:
    """For a case still being handled: days since it was sent (in the deployment's calendar) and the
    deadline that applies now, in words. None once it has been answered or has ended."""
    if case.status not in RUNNING_STATUSES:
        return None
    now = now or utcnow()
    days = (deployment_date(now) - deployment_date(case.created_at)).days if case.created_at else 0
    state = deadline_state(case, now)
    if state.kind == "acknowledge":
        step = (_("%(body)s normally confirms it has a case by", body=body_name(case)) if case.body is not None
                else _("We normally pass a report to the oversight body that can act on it by"))
    elif state.kind == "respond" and case.deadline_extended_at is not None:
        step = _("%(body)s needs more time and will answer by", body=body_name(case))
    elif state.kind == "respond":
        step = _("%(body)s normally answers by", body=body_name(case))
    else:
        step = None
    due_on = deployment_date(state.due_at) if state.due_at is not None else None
    return Progress(max(0, days), step, state.due_at, state.overdue, state.waiting, due_on,
                    case.deadline_extension_reason if case.deadline_extended_at is not None else None)


def public_timeline(case: Case) -> list[TimelineEntry]:
    """The case's public events, oldest first, each in one plain sentence; a second "passed to" the same
    body (routing, then triage confirming it) is left out."""
    events = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.public.is_(True)).order_by(CaseEvent.id)
    )
    entries: list[TimelineEntry] = []
    passed_to: str | None = None
    for event in events:
        passed_on = event.kind in PASSED_ON_KINDS or (event.kind == "status" and event.to_status in PASSED_ON_KINDS)
        if passed_on:
            named = _named_body(event) or body_name(case)
            if named == passed_to:
                continue
            passed_to = named
        entries.append(TimelineEntry(event.created_at, describe_event(event, case)))
    return entries


def _named_body(event: CaseEvent) -> str | None:
    detail = event.detail if isinstance(event.detail, dict) else {}
    named = detail.get("body_name") or detail.get("body")
    return named if isinstance(named, str) and named else None


def describe_event(event: CaseEvent, case: Case) -> str:
    detail = event.detail if isinstance(event.detail, dict) else {}
    template = EVENT_WORDS.get(event.kind) or EVENT_WORDS.get(event.to_status or "") or _l("Your case was updated.")
    named = _named_body(event)
    text = template.format(body=recorded_body_name(named, current_language()) if named else body_name(case))
    files = detail.get("attachments")
    if event.kind == "complainant_message" and isinstance(files, int) and files:
        text += " " + ngettext("(%(num)s file)", "(%(num)s files)", files)
    rating = detail.get("rating")
    if event.kind == "answer_rated" and isinstance(rating, int):
        text = _("You rated the answer %(rating)s out of 5.", rating=rating)
    reason = detail.get("reason")
    if event.kind in ("status", "answer_withdrawn") and isinstance(reason, str) and reason.strip():
        text += " " + _("Reason: %(reason)s", reason=reason.strip())
    return text[0].upper() + text[1:]


def conversation(case: Case) -> list[ConversationEntry]:
    """Messages to and from the complainant, oldest first. Internal notes are never selected."""
    messages = db.session.scalars(
        select(CaseMessage)
        .where(CaseMessage.case_id == case.id,
               CaseMessage.kind.in_([MessageKind.TO_COMPLAINANT, MessageKind.FROM_COMPLAINANT]))
        .order_by(CaseMessage.id)
    ).all()
    names: dict[int, list[str]] = {}
    if messages:
        rows = db.session.execute(
            select(Attachment.message_id, Attachment.original_name)
            .where(Attachment.message_id.in_([m.id for m in messages])).order_by(Attachment.id)
        )
        for message_id, name in rows:
            names.setdefault(message_id, []).append(name)
    # The receipt code of a report made by text went to the phone that sent it; a number typed into any other report
    # (web form, Open311, assisted intake) is anyone's, and what that phone texts (answering the body's question to
    # the case, say) is the phone owner's to read, not the receipt holder's.
    texts_withheld = case.channel not in TEXT_CHANNELS
    return [_entry(m, names.get(m.id, []), texts_withheld and m.kind is MessageKind.FROM_COMPLAINANT
                   and m.channel in TEXT_CHANNELS)
            for m in messages]


def _entry(message: CaseMessage, file_names: list[str], withheld: bool) -> ConversationEntry:
    return ConversationEntry(message.created_at, message.kind is MessageKind.FROM_COMPLAINANT,
                             "" if withheld else message.body, file_names, withheld)



def first_report_files(case: Case) -> list[str]:
    """Names of the files sent with the report itself (not with a later message)."""
    return list(db.session.scalars(
        select(Attachment.original_name)
        .where(Attachment.case_id == case.id, Attachment.message_id.is_(None)).order_by(Attachment.id)
    ))


def published_answer(case: Case) -> Publication | None:
    """The answer as the public reads it (redacted), if one is published for this case."""
    return live_publication(case)
