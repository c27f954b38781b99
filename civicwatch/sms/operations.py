"""Receiving a text: once per MessageSid, through the dialogue table, into cases. Flushes, never commits.

The caller (the inbox worker, sms/inbox.py) commits once, so the case (routed, as a web report is, in the same
transaction), the conversation, the stored reply and the outbox row for it become visible together: a
MessageSid answered before is reported as a duplicate (nothing new is written or sent), and one whose first
attempt rolled back is processed afresh. The per-text reads and writes of the conversation itself live
in sms/conversations.py.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import or_, select

from civicwatch.cases.feedback import appeal_answer, rate_answer
from civicwatch.cases.identity import contact_of, texts_channel
from civicwatch.cases.models import Case, Channel, RetaliationCheckIn
from civicwatch.cases.operations import lock_case
from civicwatch.cases.references import format_reference, normalise_receipt_code
from civicwatch.cases.retaliation import (
    PURPOSE as CHECK_IN_PURPOSE,
)
from civicwatch.cases.retaliation import (
    asked_of_open_case,
    open_check_in,
    question_on_its_way,
    send_due_check_ins,
)
from civicwatch.cases.retaliation_cues import names_retaliation
from civicwatch.crypto import decrypt_text, encrypt_text, keyed_hash
from civicwatch.database import utcnow
from civicwatch.errors import DomainError
from civicwatch.extensions import db
from civicwatch.i18n import DEFAULT_LANGUAGE
from civicwatch.intake import lockout
from civicwatch.intake.operations import (
    Submission,
    add_complainant_message,
    mark_urgent_by_complainant,
    reissue_receipt_code,
    submit_and_route_complaint,
)
from civicwatch.intake.queries import find_case_by_receipt
from civicwatch.intake.queue import waiting_report
from civicwatch.intake.retaliation import answer_check_in, note_fear_of_retaliation, went_to_same_body
from civicwatch.intake.validation import SubmissionError
from civicwatch.messaging.operations import record_opt_out, remember_phone_language, remove_opt_out, set_safe_to_text
from civicwatch.messaging.queries import held_back_as_not_safe, offered_language, phone_language
from civicwatch.messaging.segments import as_sent
from civicwatch.messaging.whatsapp import KEYWORD_PUNCTUATION, OPEN_KEYWORDS, reopen_session
from civicwatch.phones import SMS, WHATSAPP, contact_hash
from civicwatch.sms.conversations import (
    BatchWrites,
    ConversationRow,
    claim_message_sid,
    lock_conversation,
    record_reply,
    save_conversation,
    stored_reply,
    write_batch,
)
from civicwatch.sms.dialogue import (
    ASKED,
    CHECK_IN,
    IDLE,
    Action,
    Decision,
    Event,
    Snapshot,
    clean_text,
    current_state,
    decide,
    has_enough_detail,
    is_built_in_keyword,
    might_be_keyword,
)
from civicwatch.sms.keywords import sms_keywords
from civicwatch.sms.models import ConversationState, SmsConversation
from civicwatch.sms.queries import (
    RATEABLE_STATUSES,
    case_by_reference,
    last_public_change,
    latest_case_for_phone,
    open_case_by_reference,
    open_cases_and_latest,
    open_cases_for_phone,
)
from civicwatch.sms.replies import (
    Reply,
    emergency_advice,
    render_reply,
    render_status,
    render_status_list,
    render_wait,
)

log = logging.getLogger(__name__)

# An appeal by text needs as much of a reason as the follow-up page's appeal form asks for.
APPEAL_REASON_MIN = 10

_REFERENCE = re.compile(r"\bCW[\s-]*(\d{4})[\s-]*(\d{1,12})\b", re.IGNORECASE)
# Wrong receipt codes texted from one phone count against it in the web's lockout table (shared by every
# process), under a keyed hash of the number of its own.
RECEIPT_GUESSER_PURPOSE = "sms-receipt-guesser"


@dataclass(frozen=True)
class IncomingSms:
    message_sid: str
    phone: str  # E.164
    body: str
    channel: str = SMS  # "sms" or "whatsapp": the number's identity, and where the reply goes
    media: int = 0  # files sent with it, which are not taken


@dataclass
class SmsOutcome:
    reply: str | None  # None: nothing to send back
    duplicate: bool = False
    case: Case | None = None  # the case the text concerned
    confirms_opt_out: bool = False  # the reply to STOP, which is sent even though the number opted out
    opted_out: bool | None = None  # whether the number has opted out once the text is handled (None: unknown)


@dataclass
class _Step:
    """What carrying out an action gave: the reply, and the case it concerned."""

    reply: str
    case: Case | None = None
    failed: bool = False  # nothing changed: the conversation stays where it was
    next_state: ConversationState | None = None  # instead of the dialogue's, when the action knows better
    opened_case: bool = False  # an action outside CASE_MOVERS that opened `case` (follow-ups go to it)


@dataclass
class _Context:
    decision: Decision
    incoming: IncomingSms
    phone_hash: str
    conversation: ConversationRow
    now: dt.datetime  # when the text arrived
    addressed: Case | None = None  # the case the text answers (named by reference, or waiting for it)


def receive_sms(incoming: IncomingSms, now: dt.datetime | None = None, batch: BatchWrites | None = None) -> SmsOutcome:
    """Handle one inbound text and return the reply owed. A MessageSid seen before gets the stored reply.

    `now` is when the text arrived (the follow-up windows are judged against it), not when it is answered.
    `batch`: the conversation's save and the stored reply wait there for the caller's write_batch (a worker
    answering several texts in one transaction); None writes them here. A MessageSid the batch recorded already
    (claim_message_sids) is not recorded again.
    """
    now = now or utcnow()
    number_hash = contact_hash(incoming.phone, incoming.channel)
    if batch is not None and incoming.message_sid in batch.inbound_ids:  # recorded with the batch's
        inbound_id = batch.inbound_ids.pop(incoming.message_sid)
    else:
        inbound_id = claim_message_sid(incoming.message_sid, number_hash, encrypt_text(incoming.body), now)
    if inbound_id is None:
        if batch is not None:
            write_batch(batch)  # the stored reply is read back
        stored = stored_reply(incoming.message_sid)
        return SmsOutcome(reply=decrypt_text(stored) if stored else None, duplicate=True)
    if incoming.channel == WHATSAPP and reopen_session(number_hash, now):
        _check_in_released(number_hash, incoming.phone, now, batch)
        if clean_text(incoming.body).strip(KEYWORD_PUNCTUATION).upper() in OPEN_KEYWORDS:
            return _reopened(inbound_id, now, batch)
    if incoming.media and not clean_text(incoming.body):
        return _refuse_media(inbound_id, number_hash, incoming.channel == WHATSAPP, now, batch)
    conversation = lock_conversation(number_hash, incoming.phone, now, batch)
    # A report, and a built-in keyword alone, need only the built-in words: neither pays the taxonomy version's read.
    keywords = None if not might_be_keyword(incoming.body) or is_built_in_keyword(incoming.body) else sms_keywords()
    decision = decide(_awaiting_only_what_was_sent(snapshot_of(conversation), conversation, now), incoming.body, now,
                      keywords)
    addressed = addressed_case(decision, incoming.body, number_hash, conversation)
    if addressed is not None:
        # The danger question stays open when the text names the case that asked it, and it is still open: a text
        # after it lapsed opens no new question (a new report's decision would ask one).
        still_asked = (decision.state_before is ASKED and decision.next_state is ASKED
                       and addressed.id == conversation.case_id)
        decision = dataclasses.replace(decision, action=Action.ADD_TO_CASE, text=clean_text(incoming.body),
                                       next_state=ASKED if still_asked else ConversationState.FOLLOWING_UP)
    # Replies are written in the language the phone chose (LANG), and cost as few segments as they can. A phone
    # without one that texts a French or Krio keyword (AIDE, NYU) is answered in it, and keeps it.
    language = offered_language(conversation.language or decision.keyword_language)
    if conversation.language is None and language == decision.keyword_language:
        remember_phone_language(number_hash, language, replace=False)
    with force_locale(language):
        step = ACTIONS[decision.action](_Context(decision, incoming, number_hash, conversation, now, addressed))
    move_conversation(conversation, decision, step, now, batch)
    on_whatsapp = incoming.channel == WHATSAPP
    reply = None if decision.silent else as_sent(step.reply, on_whatsapp)
    if reply and incoming.media:
        changed = decision.action is Action.SET_LANGUAGE
        with force_locale(phone_language(number_hash) if changed else language):
            reply = reply + " " + as_sent(render_reply(Reply.MEDIA_NOT_KEPT), on_whatsapp)
    record_reply(inbound_id, decision.event.value, step.case.id if step.case is not None else None,
                 encrypt_text(reply) if reply else None, now, batch)
    log.info("sms %s: %s -> %s", inbound_id, decision.event.value, decision.action.value)
    return SmsOutcome(reply=reply, case=step.case,
                      confirms_opt_out=decision.action is Action.OPT_OUT,
                      opted_out=_opted_out_after(conversation, decision, step))


def _awaiting_only_what_was_sent(snapshot: Snapshot, conversation: ConversationRow, now: dt.datetime) -> Snapshot:
    """A check-in question held back before it was sent (the phone said it is not safe to text meanwhile) never
    reached the phone: its texts are not answers to it (it is answered on the follow-up page). One texted before
    the change of mind is still answered by text: an answer is a text the citizen chose to send."""
    if (current_state(snapshot, now) is CHECK_IN and conversation.case_id is not None
            and held_back_as_not_safe(conversation.case_id, CHECK_IN_PURPOSE)):
        return dataclasses.replace(snapshot, state=IDLE)
    return snapshot


def _opted_out_after(conversation: ConversationRow, decision: Decision, step: _Step) -> bool | None:
    """Read with the conversation's lock; only STOP and START change it meanwhile."""
    if step.failed:
        return None
    return {Action.OPT_OUT: True, Action.OPT_IN: False}.get(decision.action, conversation.opted_out)


def _reopened(inbound_id: int, now: dt.datetime, batch: BatchWrites | None) -> SmsOutcome:
    """OPEN, in answer to the WhatsApp template: the held messages are the answer, and the dialogue is left
    where it was (OPEN is not a report, nor an addition to one)."""
    record_reply(inbound_id, "open", None, None, now, batch)
    log.info("sms %s: whatsapp session reopened", inbound_id)
    return SmsOutcome(reply=None)


def _check_in_released(number_hash: str, phone: str, now: dt.datetime, batch: BatchWrites | None) -> None:
    """The citizen answered the WhatsApp template: a check-in question it held back goes out to them now, so the
    two weeks its answer is waited for run from now, however long the template waited."""
    case_id = db.session.scalar(select(SmsConversation.case_id).where(
        SmsConversation.phone_hash == number_hash, SmsConversation.state == CHECK_IN))
    case = db.session.get(Case, case_id) if case_id is not None else None
    check_in = open_check_in(case) if case is not None else None
    if check_in is None or not question_on_its_way(check_in):
        return
    conversation = lock_conversation(number_hash, phone, now, batch)
    if conversation.state is CHECK_IN and conversation.case_id == case_id:
        save_conversation(conversation.id, CHECK_IN, None, None, case_id, now, batch)


def _refuse_media(inbound_id: int, number_hash: str, on_whatsapp: bool, now: dt.datetime,
                  batch: BatchWrites | None) -> SmsOutcome:
    """A photo, voice note or file without words: not fetched (nothing from it can be checked or kept safely
    here), and the sender is asked to write instead. The conversation stays where it was."""
    with force_locale(phone_language(number_hash)):
        reply = as_sent(render_reply(Reply.MEDIA_REFUSED), on_whatsapp)
    record_reply(inbound_id, "media", None, encrypt_text(reply), now, batch)
    log.info("sms %s: media refused", inbound_id)
    return SmsOutcome(reply=reply)


def snapshot_of(conversation: ConversationRow) -> Snapshot:
    pending = conversation.pending_encrypted
    return Snapshot(
        state=conversation.state,
        pending_text=decrypt_text(pending) if pending is not None else None,
        pending_since=conversation.pending_since,
        last_message_at=conversation.last_message_at,
        opted_out=conversation.opted_out,
    )


def move_conversation(conversation: ConversationRow, decision: Decision, step: _Step, now: dt.datetime,
                      batch: BatchWrites | None = None) -> None:
    """Save the next state: a kept fragment, the case follow-ups go to, or neither. A failed step stays put."""
    if step.failed:
        save_conversation(conversation.id, conversation.state, conversation.pending_encrypted,
                          conversation.pending_since, conversation.case_id, now, batch)
        return
    state = step.next_state or decision.next_state
    pending, since, case_id = None, None, None
    if state is ConversationState.AWAITING_DETAILS:
        pending = encrypt_text(decision.text)
        kept = decision.state_before is ConversationState.AWAITING_DETAILS and conversation.pending_since
        since = conversation.pending_since if kept else now
    if state in (ConversationState.FOLLOWING_UP, ASKED, CHECK_IN):
        # Only a text that opened or joined a case moves the window; STATUS or a rating about another
        # case leaves follow-ups going where they went.
        joined = step.case if decision.action in CASE_MOVERS or step.opened_case else None
        case_id = joined.id if joined is not None else conversation.case_id
    save_conversation(conversation.id, state, pending, since, case_id, now, batch)


# Actions after which texts within the follow-up window go to the case they concerned.
CASE_MOVERS = frozenset({Action.OPEN_CASE, Action.ADD_TO_CASE, Action.REPORT_RETALIATION,
                         Action.ASK_CHECK_IN_AGAIN})


def ask_due_check_ins(now: dt.datetime) -> int:
    """The worker's job: ask every check-in that is due; a texted one waits for the phone's answer."""
    sent = send_due_check_ins(now, lock_first=lock_dialogues_of)
    for check_in in sent:
        await_check_in_answer(check_in, now)
    return len(sent)


def lock_dialogues_of(case: Case) -> None:
    """The SMS dialogues of the case and of its number, locked before the case is (as the SMS worker and the
    retention run's erasure lock them: dialogue, then case; the other order deadlocks with them), so that the one
    `await_check_in_answer` takes after the case is asked is held already. The number is the one read before the
    lock: an erasure since deleted its dialogues, and the case read again under its lock is not asked. SQLite has
    no row locks: `lock_case` takes its one write lock, and a read before it would leave the transaction unable
    to write once another committed."""
    if db.session.get_bind().dialect.name == "sqlite":
        return
    contact = contact_of(case)
    phone = contact.get("phone")
    numbers = {case.contact_phone_hash, contact_hash(phone, texts_channel(contact)) if phone else None} - {None}
    db.session.execute(select(SmsConversation.id)
                       .where(or_(SmsConversation.case_id == case.id, SmsConversation.phone_hash.in_(numbers)))
                       .order_by(SmsConversation.id).with_for_update())


def await_check_in_answer(check_in: RetaliationCheckIn, now: dt.datetime) -> bool:
    """After a check-in was texted, the phone's next YES, NO or account of what happened answers it. A
    conversation in the middle of something else (a report being written, a question open) is left alone:
    the check-in can still be answered on the follow-up page. True when the conversation now waits."""
    contact = contact_of(check_in.case)
    phone = contact.get("phone")
    if not check_in.by_sms or not phone:
        return False
    channel = texts_channel(contact)
    conversation = lock_conversation(contact_hash(phone, channel), phone, now)
    if current_state(snapshot_of(conversation), now) not in (IDLE, CHECK_IN):
        return False
    save_conversation(conversation.id, CHECK_IN, None, None, check_in.case_id, now)
    return True


def addressed_case(decision: Decision, body: str, number_hash: str, conversation: ConversationRow) -> Case | None:
    """The case a report text belongs to whatever the conversation's state: one of the phone's open cases
    named by reference ("CW-2026-483071 ..."), or else the one whose body asked the complainant something
    since the phone's previous text. None: the dialogue decides (a new report, or the follow-up window)."""
    if decision.event not in (Event.SHORT_TEXT, Event.DETAILED_TEXT):
        return None
    named = _REFERENCE.search(clean_text(body))
    if named:
        case = open_case_by_reference(number_hash, format_reference(int(named.group(1)), int(named.group(2))))
        if case is not None:
            return case
    if conversation.waiting_case_id is None:
        return None
    return db.session.get(Case, conversation.waiting_case_id)


def find_case_for_status(phone_hash: str, query: str | None) -> Case | None:
    """The case a STATUS text asks about: by receipt code (from any phone), by reference (only this
    phone's own cases: references are guessable), or else this phone's latest case."""
    if normalise_receipt_code(query or "") is not None:
        return find_case_by_receipt(query)
    if query:
        reference = _REFERENCE.search(query)
        if reference:
            return case_by_reference(phone_hash, format_reference(int(reference.group(1)), int(reference.group(2))))
    return latest_case_for_phone(phone_hash)


# ---------------------------------------------------------------- what each action does

def _send_help(ctx: _Context) -> _Step:
    return _Step(render_reply(Reply.HELP))


def _report_status(ctx: _Context) -> _Step:
    query = ctx.decision.status_query
    if normalise_receipt_code(query or "") is not None:
        return _report_status_by_receipt(ctx, query or "")
    if not query:
        open_cases, latest, changed = open_cases_and_latest(ctx.phone_hash)
        if len(open_cases) > 1:
            return _Step(render_status_list([(case.reference, case.status, case.waiting_since is not None)
                                             for case in open_cases]))
        return _status_step(latest, changed)  # what find_case_for_status gives without a query
    case = find_case_for_status(ctx.phone_hash, query)
    return _status_step(case)


def _report_status_by_receipt(ctx: _Context, code: str) -> _Step:
    """A receipt code finds a case from any phone, so each wrong one counts against the phone, as wrong codes
    on /track count against the connection: slowed down, then locked out, the code not even checked."""
    guesser = keyed_hash(RECEIPT_GUESSER_PURPOSE, ctx.incoming.phone)
    wait = lockout.lookup_wait(guesser, ctx.now)
    if wait is not None:
        return _Step(render_reply(Reply.TOO_MANY_CODES, wait=render_wait(wait)))
    case = find_case_by_receipt(code)
    if case is None and waiting_report(code) is not None:  # a right code: no try counted against the phone
        return _Step(render_reply(Reply.REPORT_BEING_FILED))
    if case is None:
        lockout.register_lookup_failure(guesser, ctx.now)
        return _Step(render_reply(Reply.CODE_NOT_FOUND))
    step = _status_step(case)
    if case.contact_phone_hash != ctx.phone_hash:
        # Not the case's own phone: the question and its reply are this phone's texts, not the case's. Filed under
        # the case, they would show the staff of its body that another number asked about it.
        step.case = None
    return step


def _status_step(case: Case | None, changed: dt.datetime | None = None) -> _Step:
    """`changed`: the case's last_public_change, when it was read with the case."""
    if case is None:
        return _Step(render_reply(Reply.STATUS_NOT_FOUND))
    changed = changed if changed is not None else last_public_change(case)
    text = render_status(case.reference, case.status, changed, case.waiting_since is not None)
    return _Step(text, case)


def _start_new(ctx: _Context) -> _Step:
    return _Step(render_reply(Reply.NEW_REPORT))


def _opt_out(ctx: _Context) -> _Step:
    record_opt_out(ctx.phone_hash, "keyword")
    return _Step(render_reply(Reply.STOPPED))


def _opt_in(ctx: _Context) -> _Step:
    stopped_at = remove_opt_out(ctx.phone_hash)
    if stopped_at is not None:
        # A report sent while texts were off got no receipt: say it arrived, and how to follow it by text. One
        # texted then never had its receipt code sent, so it gets a new one (a web report showed its code).
        latest = latest_case_for_phone(ctx.phone_hash)
        if latest is not None and latest.created_at >= stopped_at:
            if latest.channel.value != ctx.incoming.channel:
                return _Step(render_reply(Reply.STARTED_AFTER_REPORT, reference=latest.reference))
            return _Step(render_reply(Reply.STARTED_AFTER_TEXTED_REPORT, reference=latest.reference,
                                      receipt_code=reissue_receipt_code(latest)), latest)
    return _Step(render_reply(Reply.STARTED))


def _mark_not_safe(ctx: _Context) -> _Step:
    # The phone's number on SMS and on WhatsApp: whether a phone is safe to text is the phone's, not a channel's.
    set_safe_to_text(ctx.incoming.phone, False, "keyword", None)
    return _Step(render_reply(Reply.QUIET))


def _mark_safe(ctx: _Context) -> _Step:
    set_safe_to_text(ctx.incoming.phone, True, "keyword", None)
    return _Step(render_reply(Reply.TEXT_ME))


def _rate(ctx: _Context) -> _Step:
    # The same operation as the follow-up page's rating form: same event, same audit entry.
    case = latest_case_for_phone(ctx.phone_hash, RATEABLE_STATUSES)
    if case is None:
        return _Step(render_reply(Reply.NOTHING_TO_RATE))
    if ctx.decision.rating is None:  # "RATE" without a score from 1 to 5
        return _Step(render_reply(Reply.RATE_HOW), case, failed=True)
    try:
        rate_answer(case, ctx.decision.rating)
    except DomainError:
        return _Step(render_reply(Reply.NOTHING_TO_RATE), case, failed=True)
    return _Step(render_reply(Reply.RATED, score=ctx.decision.rating, reference=case.reference), case)


def _appeal(ctx: _Context) -> _Step:
    # The same operation as the follow-up page's appeal form; the web form's shortest reason applies too.
    reason = ctx.decision.appeal_reason or ""
    if len(reason) < APPEAL_REASON_MIN:
        return _Step(render_reply(Reply.APPEAL_NEEDS_REASON))
    case = latest_case_for_phone(ctx.phone_hash, RATEABLE_STATUSES)
    if case is None:
        if (ctx.decision.state_before is not ConversationState.AWAITING_DETAILS and has_enough_detail(reason)
                and latest_case_for_phone(ctx.phone_hash) is None):
            # A phone that never reported, whose text tells what happened ("APPEAL soldiers are beating..."): a
            # report, kept rather than answered and dropped. (With a report, it is an appeal come too early.)
            step = _open_case(ctx)
            step.next_state, step.opened_case = (None, False) if step.failed else (ASKED, True)
            return step
        return _Step(render_reply(Reply.NOTHING_TO_APPEAL))
    try:
        appeal_answer(case, reason)
    except DomainError:
        return _Step(render_reply(Reply.NOTHING_TO_APPEAL), case, failed=True)
    return _Step(render_reply(Reply.APPEALED, reference=case.reference), case)


def _set_language(ctx: _Context) -> _Step:
    language = ctx.decision.language
    if language is None or language not in current_app.config["LANGUAGES"]:
        return _Step(render_reply(Reply.LANGUAGE_HOW))
    remember_phone_language(ctx.phone_hash, language)
    with force_locale(language):  # the confirmation is the first text in the new language
        return _Step(render_reply(Reply.LANGUAGE_SET))


def _ask_for_text(ctx: _Context) -> _Step:
    return _Step(render_reply(Reply.EMPTY))


def _keep_fragment(ctx: _Context) -> _Step:
    first = ctx.decision.state_before is not ConversationState.AWAITING_DETAILS
    return _Step(render_reply(Reply.ASK_FOR_DETAILS if first else Reply.ASK_FOR_MORE))


def _open_case(ctx: _Context) -> _Step:
    submission = Submission(text=ctx.decision.text, channel=Channel(ctx.incoming.channel), phone=ctx.incoming.phone,
                            texts_by=ctx.incoming.channel, language_hint=offered_language(ctx.conversation.language))
    try:
        case, receipt_code = submit_and_route_complaint(submission)
    except SubmissionError as error:
        if error.field != "phone":
            log.warning("sms report not accepted (%s, %s)", error.code, error.field)
            return _Step(render_reply(Reply.NOT_ACCEPTED), failed=True)
        # A number the carrier delivered from but our numbering data does not know yet: keep the report.
        log.warning("sms sender number failed validation; case stored without contact details")
        submission.phone = None
        case, receipt_code = submit_and_route_complaint(submission)
    spoken = _language_of_first_report(ctx, case)
    if spoken is None:
        return _Step(render_reply(Reply.CASE_OPENED, reference=case.reference, receipt_code=receipt_code), case)
    remember_phone_language(ctx.phone_hash, spoken, replace=False)
    with force_locale(spoken):
        return _Step(render_reply(Reply.CASE_OPENED, reference=case.reference, receipt_code=receipt_code), case)


def _language_of_first_report(ctx: _Context, case: Case) -> str | None:
    """The language a report was written in (detected on arrival), for a phone that chose none: its receipt and
    what follows are written in it, as a French or Krio keyword would make them. None: the current one."""
    if ctx.conversation.language is not None or ctx.decision.keyword_language is not None:
        return None
    language = offered_language(case.language)
    return language if language != DEFAULT_LANGUAGE else None


def _add_to_case(ctx: _Context) -> _Step:
    # Locked and read under the lock here, once (add_complainant_message is told so): an erasure committed since
    # the case was last read is seen now, and the text opens a case instead of failing.
    case_id = ctx.addressed.id if ctx.addressed is not None else ctx.conversation.case_id
    case = lock_case(case_id) if case_id is not None else None
    if case is None or case.erased:  # the window outlived its case, or its content (retention)
        return _open_case(ctx)
    answers = case.waiting_since is not None
    try:
        add_complainant_message(case, ctx.decision.text, Channel(ctx.incoming.channel), locked=True)
    except SubmissionError:
        return _Step(render_reply(Reply.NOT_ACCEPTED), case, failed=True)
    asks = ctx.decision.next_state is ASKED
    if asks and _led_by(ctx, Event.YES):
        # "Oui, mon frère est toujours détenu": a YES with its words. A sentence led by NO is not read as NO
        # ("No one came to help, they are beating him"): the question is asked again.
        return _urgent_step(case, ConversationState.FOLLOWING_UP)
    if answers:
        return _Step(render_reply(Reply.ANSWER_ADDED, reference=case.reference), case)
    return _Step(render_reply(Reply.ASK_DANGER_AGAIN if asks else Reply.ADDED_TO_CASE, reference=case.reference),
                 case)


def _asked_case(ctx: _Context) -> Case | None:
    return db.session.get(Case, ctx.conversation.case_id) if ctx.conversation.case_id is not None else None


def _mark_urgent(ctx: _Context) -> _Step:
    # "Yes" on the web form and "YES" here are one answer: combined (OR) with the model's urgency.
    case = _asked_case(ctx)
    if case is None:  # the case the question asked about is gone (cannot happen while the foreign key holds)
        return _Step(render_reply(Reply.STATUS_NOT_FOUND))
    return _urgent_step(case)


def _urgent_step(case: Case, next_state: ConversationState | None = None) -> _Step:
    mark_urgent_by_complainant(case)
    advice = emergency_advice(current_app.config["EMERGENCY_ADVICE_SMS"],
                              current_app.config["EMERGENCY_ADVICE_SMS_BY_LANGUAGE"])
    return _Step(render_reply(Reply.MARKED_URGENT, reference=case.reference, advice=advice), case,
                 next_state=next_state)


def _note_not_urgent(ctx: _Context) -> _Step:
    # "No" changes nothing: the model may still find the case urgent, as with the web form's "No".
    case = _asked_case(ctx)
    if case is None:
        return _Step(render_reply(Reply.STATUS_NOT_FOUND))
    return _Step(render_reply(Reply.NOT_URGENT, reference=case.reference), case)


def _note_fear(ctx: _Context) -> _Step:
    # The phone's latest open report: the one just sent, or the one still being handled.
    cases = open_cases_for_phone(ctx.phone_hash)
    if not cases:
        return _Step(render_reply(Reply.NOTHING_TO_FEAR))
    case = cases[-1]
    note_fear_of_retaliation(case, Channel(ctx.incoming.channel))
    return _Step(render_reply(Reply.FEAR_NOTED, reference=case.reference), case)


def _waiting_check_in(ctx: _Context) -> tuple[Case | None, RetaliationCheckIn | None]:
    case = _asked_case(ctx)
    return case, open_check_in(case) if case is not None else None


def _not_asked_yet(ctx: _Context, check_in: RetaliationCheckIn | None) -> _Step | None:
    """A YES, NO or short text sent before the check-in's question reached the phone answers something else
    (on WhatsApp, the template "send OPEN to read it" that stands in for the question outside the window): the
    question, on its way, is the reply, and the check-in waits for its answer. An account of what happened is
    taken all the same: it must not be lost."""
    if check_in is None or ctx.decision.event is Event.DETAILED_TEXT or not question_on_its_way(check_in):
        return None
    log.info("sms: check-in %s answered before its question was sent; taken as a wish to read it", check_in.id)
    return _Step("", check_in.case, failed=True)


def _report_retaliation(ctx: _Context) -> _Step:
    # The same operation as the follow-up page's "Yes": one linked, urgent case for the same body.
    case, check_in = _waiting_check_in(ctx)
    if check_in is None:  # answered on the follow-up page meanwhile
        return _Step(render_reply(Reply.CHECK_IN_ANSWERED), case, next_state=IDLE)
    if (early := _not_asked_yet(ctx, check_in)) is not None:
        return early
    if _declines(ctx):
        return _no_retaliation(ctx)
    if not _counts_as_report(ctx, check_in):
        return _add_beside_check_in(ctx, check_in)
    return _take_report(ctx, check_in)


# "No, but ...": what follows the NO is what the complainant wants told, whatever its words (English, French, Krio).
_NO_BUT = re.compile(r"^\W*[A-Za-z]+\W+(?:but|mais|bot|however|though|pourtant|cependant|sauf|except)\b", re.IGNORECASE)


def _declines(ctx: _Context) -> bool:
    """A sentence led by NO that tells of no retaliation ("Non merci, tout va bien"): a NO with words, as the
    follow-up page's "No" with words, not a report nor a text to ask again about. Not "No, but ...", which goes on
    to tell something the cue reader may not know the words of."""
    text = ctx.decision.text
    if ctx.decision.event not in (Event.SHORT_TEXT, Event.DETAILED_TEXT) or names_retaliation(text):
        return False
    return _led_by(ctx, Event.NO) and _NO_BUT.match(text or "") is None


def _led_by(ctx: _Context, answer: Event) -> bool:
    """Whether the text's first word is a YES (or NO) word: "Oui, ...", "No, ..."."""
    leading = sms_keywords().leading_answer(ctx.decision.text)
    return leading is not None and leading.event is answer


def _counts_as_report(ctx: _Context, check_in: RetaliationCheckIn) -> bool:
    """YES, or words that speak of retaliation or threat, however short (a miss is worse than a false flag). On a
    case no longer open, where a message would wait unread, any account long enough to say what happened too."""
    if ctx.decision.event is Event.YES or names_retaliation(ctx.decision.text):
        return True
    return ctx.decision.event is Event.DETAILED_TEXT and not asked_of_open_case(check_in)


def _take_report(ctx: _Context, check_in: RetaliationCheckIn) -> _Step:
    words = None if ctx.decision.event is Event.YES else ctx.decision.text
    answer = answer_check_in(check_in, True, words, Channel(ctx.incoming.channel))
    if answer is None:
        return _Step(render_reply(Reply.CHECK_IN_ANSWERED), check_in.case, next_state=IDLE)
    if answer.linked is None:  # asked while the case was open: that case is now urgent, and takes what follows
        return _Step(render_reply(Reply.RETALIATION_FLAGGED, reference=check_in.case.reference), check_in.case,
                     next_state=ConversationState.FOLLOWING_UP)
    reported = answer.linked
    same_body = went_to_same_body(reported.case, check_in.case)
    reply = Reply.RETALIATION_REPORTED if same_body else Reply.RETALIATION_REPORTED_ELSEWHERE
    return _Step(render_reply(reply, reference=reported.case.reference), reported.case,
                 next_state=ConversationState.FOLLOWING_UP)


def _add_beside_check_in(ctx: _Context, check_in: RetaliationCheckIn) -> _Step:
    """Not an answer: the text joins the open case as any follow-up does, and the question keeps waiting (the reply
    says how to answer it)."""
    case = lock_case(check_in.case_id)
    if case is None or case.erased:  # erased since it was read: the text is a new report, as in _add_to_case
        step = _open_case(ctx)
        step.next_state = None if step.failed else ASKED
        return step
    try:
        add_complainant_message(case, ctx.decision.text, Channel(ctx.incoming.channel), locked=True)
    except SubmissionError:
        return _Step(render_reply(Reply.NOT_ACCEPTED), case, failed=True)
    return _Step(render_reply(Reply.CHECK_IN_YES_OR_NO, reference=case.reference), case, next_state=CHECK_IN)


def _no_retaliation(ctx: _Context) -> _Step:
    case, check_in = _waiting_check_in(ctx)
    if check_in is None:
        return _Step(render_reply(Reply.CHECK_IN_ANSWERED), case)
    if (early := _not_asked_yet(ctx, check_in)) is not None:
        return early
    words = None if ctx.decision.event is Event.NO else ctx.decision.text  # the words of a NO in a sentence are kept
    answer_check_in(check_in, False, words, Channel(ctx.incoming.channel))
    return _Step(render_reply(Reply.NO_RETALIATION), case, next_state=IDLE)


def _ask_check_in_again(ctx: _Context) -> _Step:
    case, check_in = _waiting_check_in(ctx)
    if case is None:
        return _Step(render_reply(Reply.STATUS_NOT_FOUND), next_state=IDLE)
    if (early := _not_asked_yet(ctx, check_in)) is not None:
        return early
    if check_in is not None and _declines(ctx):
        return _no_retaliation(ctx)
    if check_in is not None and _counts_as_report(ctx, check_in):
        return _take_report(ctx, check_in)
    if check_in is not None and asked_of_open_case(check_in):
        return _add_beside_check_in(ctx, check_in)
    if check_in is not None:
        _keep_beside_closed_check_in(ctx, check_in)
    return _Step(render_reply(Reply.ASK_CHECK_IN_AGAIN, reference=case.reference), case)


def _keep_beside_closed_check_in(ctx: _Context, check_in: RetaliationCheckIn) -> None:
    """Words to a check-in after closure that answer nothing ("Please call me", "I moved to Bo") are kept on the
    closed case as the complainant's message, for staff to read; the question is asked again. Nothing is kept on
    an erased case, nor words that are no message (a receipt code alone)."""
    case = lock_case(check_in.case_id)
    if case is None or case.erased:
        return
    try:
        add_complainant_message(case, ctx.decision.text, Channel(ctx.incoming.channel), locked=True)
    except SubmissionError:
        log.info("sms: words to check-in %s not kept (no message left)", check_in.id)


ACTIONS: dict[Action, Callable[[_Context], _Step]] = {
    Action.SEND_HELP: _send_help,
    Action.REPORT_STATUS: _report_status,
    Action.START_NEW: _start_new,
    Action.OPT_OUT: _opt_out,
    Action.OPT_IN: _opt_in,
    Action.RATE: _rate,
    Action.APPEAL: _appeal,
    Action.SET_LANGUAGE: _set_language,
    Action.ASK_FOR_TEXT: _ask_for_text,
    Action.KEEP_FRAGMENT: _keep_fragment,
    Action.OPEN_CASE: _open_case,
    Action.ADD_TO_CASE: _add_to_case,
    Action.MARK_URGENT: _mark_urgent,
    Action.NOTE_NOT_URGENT: _note_not_urgent,
    Action.NOTE_FEAR: _note_fear,
    Action.REPORT_RETALIATION: _report_retaliation,
    Action.NO_RETALIATION: _no_retaliation,
    Action.ASK_CHECK_IN_AGAIN: _ask_check_in_again,
    Action.MARK_NOT_SAFE: _mark_not_safe,
    Action.MARK_SAFE: _mark_safe,
}

