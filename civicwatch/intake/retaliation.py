"""Answers to retaliation check-ins (see cases/retaliation.py), from the follow-up page or by SMS. "Yes,
something happened" to a check-in asked while the case is open marks that case urgent for the body handling it,
the complainant's words added to it as their message. To a check-in asked after the case closed (or asked while it
was open and answered once it had closed), it opens a new case linked to the one that closed, routed to the same
body (to the triage queue when that body has closed) and marked urgent so that it is reviewed first; it has a
receipt code of its own, as any report. Each check-in is
answered once: a second answer (a resent form, Twilio retrying its webhook) changes nothing, and the same form sent
again soon after is recognised (`answer_sent_before`) to be thanked again. Flush, never commit."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from civicwatch.audit.operations import record_audit
from civicwatch.cases.identity import contact_of, store_contact
from civicwatch.cases.models import Case, CaseMessage, Channel, MessageKind, RetaliationCheckIn
from civicwatch.cases.operations import lock_case
from civicwatch.cases.retaliation import WHILE_OPEN, asked_of_open_case
from civicwatch.cases.retaliation_cues import names_retaliation
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.intake.operations import (
    RESEND_WINDOW,
    Submission,
    add_complainant_message,
    mark_urgent_by_complainant,
    submit_complaint,
    without_receipt_codes,
)
from civicwatch.intake.validation import MESSAGE_MAX, TEXT_MAX, clean_text
from civicwatch.routing.operations import route_to_body_of
from civicwatch.text import tidy_text

WORDS_SEPARATOR = "\n\n"  # between the sentence that links the new case to the closed one and the complainant's words


@dataclass(frozen=True)
class LinkedReport:
    """The case a "yes" opened, and its receipt code: it exists only here (the database keeps a keyed hash), to
    be handed over once so that the complainant can follow the new case as any other."""

    case: Case
    code: str


@dataclass(frozen=True)
class CheckInAnswer:
    """What a check-in's answer did: `linked`, the case a "yes" after closure opened; `flagged`, a "yes" while the
    case was open marked that case urgent. Neither: nothing happened."""

    linked: LinkedReport | None = None
    flagged: bool = False


def answer_check_in(check_in: RetaliationCheckIn, happened: bool, words: str | None,
                    channel: Channel) -> CheckInAnswer | None:
    """Record the answer and act on a "yes"; None when the check-in was answered already (by this same answer,
    sent again)."""
    words = clean_text(words, "text", 0, _room_for_words(check_in))
    now = utcnow()
    claimed = db.session.execute(update(RetaliationCheckIn).where(
        RetaliationCheckIn.id == check_in.id, RetaliationCheckIn.answered_at.is_(None),
    ).values(answered_at=now, retaliation_reported=happened).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    db.session.refresh(check_in)
    answer = _act_on_yes(check_in, words, channel) if happened else _keep_words(check_in, words, channel)
    db.session.flush()
    when = {"round_days": check_in.round_days} if check_in.open_round is None else {"open_round": check_in.open_round}
    record_audit(None, "case.retaliation_answer", check_in, case=check_in.case, after={
        **when, "retaliation_reported": happened,
        "reported_case": answer.linked.case.reference if answer.linked is not None else None,
        "channel": channel.value})
    return answer


def reads_as_yes(chose_yes: bool, words: str | None) -> bool:
    """The follow-up page's answer: "Yes", or "No" with words that speak of retaliation or threat (a miss is worse
    than a false flag, and the same words texted are a report)."""
    return chose_yes or names_retaliation(words)


def _keep_words(check_in: RetaliationCheckIn, words: str, channel: Channel) -> CheckInAnswer:
    """A "no" with words: they join the case as the complainant's message, as the page's message form would add
    them, rather than being dropped."""
    if words:
        case = lock_case(check_in.case_id)
        if case is not None and not case.erased:
            add_complainant_message(case, words, channel, locked=True)
    return CheckInAnswer()


def _act_on_yes(check_in: RetaliationCheckIn, words: str, channel: Channel) -> CheckInAnswer:
    """A check-in asked while the case was open flags that case if it is still open, read under its lock (as every
    change of it by someone other than staff). Once it has closed (or ended otherwise) nobody works on it any more:
    the "yes" opens a linked case, as one to a check-in after closure does."""
    if check_in.open_round is not None:
        case = lock_case(check_in.case_id)
        if case is None or case.erased:  # the retention run erased it meanwhile: nothing to add the words to
            return CheckInAnswer()
        if case.status in WHILE_OPEN:
            _flag_open_case(case, words, channel)
            return CheckInAnswer(flagged=True)
    linked = _open_linked_case(check_in.case, check_in, words, channel)
    check_in.reported_case_id = linked.case.id
    return CheckInAnswer(linked=linked)


def _flag_open_case(case: Case, words: str, channel: Channel) -> None:
    """The open case's body must see it first: the case (locked) becomes urgent (its deadlines brought forward) and
    the complainant's words, if any, join it as their message."""
    if words:
        add_complainant_message(case, words, channel, locked=True)
    mark_urgent_by_complainant(case)


def answer_sent_before(case: Case, happened: bool, words: str | None) -> RetaliationCheckIn | None:
    """The case's last check-in if it was answered within RESEND_WINDOW with this answer and these words: the same
    form sent again after its reply was lost, owed the same thanks (and nothing opened or added twice)."""
    latest = db.session.scalar(select(RetaliationCheckIn).where(
        RetaliationCheckIn.case_id == case.id, RetaliationCheckIn.answered_at.is_not(None),
    ).order_by(RetaliationCheckIn.answered_at.desc()).limit(1))
    if latest is None or latest.answered_at is None or latest.retaliation_reported is not happened \
            or utcnow() - latest.answered_at > RESEND_WINDOW:
        return None
    if not happened:
        return latest
    if latest.reported_case_id is None:  # the open case flagged (or nothing, erased meanwhile)
        if latest.open_round is None:
            return None
        return latest if _last_words(case, latest) == without_receipt_codes(tidy_text(words)) else None
    linked = db.session.get(Case, latest.reported_case_id) if latest.reported_case_id is not None else None
    return latest if linked is not None and linked.text == _linked_text(case, latest, tidy_text(words)) else None


def _last_words(case: Case, check_in: RetaliationCheckIn) -> str:
    """What the complainant added to the open case with their answer: their first message since (empty: none)."""
    return db.session.scalar(select(CaseMessage.body).where(
        CaseMessage.case_id == case.id, CaseMessage.kind == MessageKind.FROM_COMPLAINANT,
        CaseMessage.created_at >= check_in.answered_at).order_by(CaseMessage.id).limit(1)) or ""


def _linked_text(original: Case, check_in: RetaliationCheckIn, words: str) -> str:
    sentence = _linking_sentence(original, check_in)
    return f"{sentence}{WORDS_SEPARATOR}{words}" if words else sentence


def _linking_sentence(original: Case, check_in: RetaliationCheckIn) -> str:
    if check_in.round_days is None:
        return (f"Retaliation reported by the complainant of {original.reference}, answering after it ended the "
                f"check-in {check_in.open_round} asked while it was open.")
    return (f"Retaliation reported by the complainant of {original.reference}, answering the check-in "
            f"{check_in.round_days} days after it closed.")


def _room_for_words(check_in: RetaliationCheckIn) -> int:
    """How long the complainant's words may be: the linked case's text holds the linking sentence and them, and a
    refusal must count only what they wrote; a message added to the open case holds them alone."""
    if asked_of_open_case(check_in):
        return MESSAGE_MAX
    sentence = _linking_sentence(check_in.case, check_in)
    return min(MESSAGE_MAX, TEXT_MAX - len(sentence) - len(WORDS_SEPARATOR))


def went_to_same_body(reported: Case, original: Case) -> bool:
    """Whether the report of retaliation went to the body that handled the case (not: that body has closed, and it
    waits in the triage queue)."""
    return reported.body_id is not None and reported.body_id == original.body_id


def _open_linked_case(original: Case, check_in: RetaliationCheckIn, words: str, channel: Channel) -> LinkedReport:
    case, code = submit_complaint(Submission(text=_linked_text(original, check_in, words), channel=channel,
                                             urgent=True))
    case.fears_retaliation = True
    if original.identity is not None:
        store_contact(case, contact_of(original))
    route_to_body_of(case, original, "a report of retaliation against the complainant of a closed case")
    return LinkedReport(case, code)


def note_fear_of_retaliation(case: Case, channel: Channel) -> bool:
    """The complainant says, after reporting, that they fear retaliation (FEAR by text): the case gets the
    check-ins while it is open and after it closes. False when it was noted already (a second FEAR changes nothing)."""
    if case.fears_retaliation:
        return False
    case.fears_retaliation = True
    db.session.flush()
    record_audit(None, "case.fears_retaliation", case, case=case, after={"fears_retaliation": True,
                                                                          "channel": channel.value})
    return True
