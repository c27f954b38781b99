"""Answers by text reach the case that asked (or the one named by reference), not the newest one; STATUS
lists every open report of the phone. End to end through the signed webhook and a real database."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from civicwatch.accounts.models import Role
from civicwatch.cases.deadlines import pause_deadline_clock
from civicwatch.cases.models import Case, CaseStatus, MessageKind
from civicwatch.cases.operations import resume_clock
from civicwatch.cases.reminders import restart_unanswered_clocks
from civicwatch.extensions import db
from civicwatch.sms.replies import Reply, render_reply
from tests.sms.conftest import OTHER_PHONE

FIRST = "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card."
SECOND = "Police at Lunsar junction take money from every okada rider each morning, 5,000 leones each."
OPENED = re.compile(r"report (CW-\d{4}-\d{6}) received")


def open_report(text, body: str, **kwargs) -> Case:
    reply = text(body, **kwargs)
    match = OPENED.search(reply or "")
    assert match, reply
    return db.session.scalars(select(Case).where(Case.reference == match.group(1))).one()


def complainant_messages(case: Case) -> list[str]:
    db.session.refresh(case)
    return [message.body for message in case.messages if message.kind is MessageKind.FROM_COMPLAINANT]


def ask_complainant(case: Case, clock) -> None:
    """What the body's question by text leaves behind: the case waits for the complainant, clock stopped."""
    case.status = CaseStatus.INVESTIGATING
    pause_deadline_clock(case, clock.now)
    db.session.commit()


def test_an_answer_goes_to_the_case_that_asked_not_the_newest(text, clock):
    asking = open_report(text, FIRST)
    clock.advance(hours=2)
    newest = open_report(text, SECOND)
    clock.advance(minutes=3)  # the newest report's follow-up window is still open
    ask_complainant(asking, clock)
    clock.advance(minutes=2)
    reply = text("The soldier who hit him was called Corporal Sesay.")
    assert reply == render_reply(Reply.ANSWER_ADDED, reference=asking.reference)
    assert complainant_messages(asking) == ["The soldier who hit him was called Corporal Sesay."]
    assert complainant_messages(newest) == []
    assert asking.waiting_since is None  # the clock runs again
    clock.advance(minutes=2)  # and more details follow the answer, to the same case
    assert text("It was on Tuesday.") == render_reply(Reply.ADDED_TO_CASE, reference=asking.reference)
    assert complainant_messages(asking)[-1] == "It was on Tuesday."


def test_a_late_answer_goes_to_the_case_that_asked_after_the_worker_ran_its_clock_again(text, clock):
    """The body waits 20 working days at most; the question is still open after that, and an answer that comes
    later is an answer, not a new report."""
    asking = open_report(text, FIRST)
    text("NO")  # nobody in danger now: the report's own question is answered
    ask_complainant(asking, clock)
    clock.advance(days=40)
    assert restart_unanswered_clocks(clock.now) == 1
    clock.advance(days=3)
    answer = "Sorry I was in the village. The soldier who hit him was called Corporal Sesay."
    assert text(answer) == render_reply(Reply.ADDED_TO_CASE, reference=asking.reference)
    assert complainant_messages(asking) == [answer]
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1


def test_a_clock_staff_ran_again_themselves_closes_the_question(text, clock, make_user):
    """Staff run the clock again when the complainant answered another way or will not: a later text is what the
    dialogue makes of it (here a new report), as before the question."""
    asking = open_report(text, FIRST)
    ask_complainant(asking, clock)
    clock.advance(days=2)
    resume_clock(asking, make_user(Role.TRIAGE))
    db.session.commit()
    clock.advance(days=40)
    assert OPENED.search(text(SECOND) or "")


def test_a_text_naming_a_reference_goes_to_that_case(text, clock):
    named = open_report(text, FIRST)
    clock.advance(hours=1)
    newest = open_report(text, SECOND)
    clock.advance(minutes=1)
    body = f"{named.reference.lower()} my brother is still in the hospital in Kenema"
    assert text(body) == render_reply(Reply.ADDED_TO_CASE, reference=named.reference)
    assert complainant_messages(named) == [body] and complainant_messages(newest) == []


def test_another_phone_cannot_add_to_a_case_by_its_reference(text, clock):
    case = open_report(text, FIRST)
    clock.advance(hours=1)
    reply = text(f"{case.reference} the soldiers came back to the checkpoint today", phone=OTHER_PHONE)
    assert OPENED.search(reply)  # a new report of that phone's own
    assert complainant_messages(case) == []


def test_a_question_answered_before_does_not_capture_new_reports(text, clock):
    asking = open_report(text, FIRST)
    ask_complainant(asking, clock)
    clock.advance(minutes=30)
    assert text("NEW") == render_reply(Reply.NEW_REPORT)  # a text after the question: it is not the answer
    clock.advance(minutes=1)
    other = open_report(text, SECOND)
    assert other.id != asking.id and complainant_messages(asking) == []


def test_status_lists_every_open_report_of_the_phone(text, clock):
    first = open_report(text, FIRST)
    clock.advance(hours=1)
    second = open_report(text, SECOND)
    clock.advance(hours=1)
    closed = open_report(text, "Officers in Bo took my motorbike at the roadblock and never gave it back.")
    closed.status, closed.closed_at = CaseStatus.CLOSED, clock.now
    ask_complainant(second, clock)
    clock.advance(minutes=5)
    reply = text("STATUS")
    assert reply == (f"CivicWatch: 2 open reports: {first.reference} received; {second.reference} waits for your "
                     "answer. STATUS and a reference: more.")
    assert closed.reference not in reply


def test_status_lists_as_many_reports_as_fit_in_one_text(text, clock):
    references = []
    for n in range(7):
        references.append(open_report(text, f"Police at the Bo market took money from traders, report {n}.").reference)
        clock.advance(hours=1)
    reply = text("STATUS")
    assert reply.startswith("CivicWatch: 7 open reports: ") and len(reply) <= 160
    assert "; 4 more. " in reply and all(reference in reply for reference in references[:3])
