"""The SMS danger question: the reply to a new report asks whether someone is hurt, held or threatened right now,
and a YES marks the case urgent (OR with the model), as the web form's question does. Through the signed
webhook and the worker, on a real database."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civicwatch.audit.models import AuditEntry
from civicwatch.cases.deadlines import acknowledge_deadline
from civicwatch.cases.models import Case, MessageKind
from civicwatch.extensions import db
from civicwatch.phones import phone_hash
from civicwatch.sms.models import ConversationState, SmsConversation
from civicwatch.sms.replies import Reply, render_reply
from tests.sms.conftest import PHONE, acknowledged, answer_waiting_texts, last_outbox_id, new_sid, replies_since
from tests.sms.test_sms_conversation import REPORT, opened

ADVICE = "If someone is in danger now, call 112 first: we cannot send help."
QUESTION = "Is someone hurt, held or threatened right now? Reply YES or NO."


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config.update(EMERGENCY_ADVICE_SMS=ADVICE)
    return app_config


@pytest.fixture
def reported(text, clock) -> Case:
    """A report opened by text, which the model did not find urgent."""
    reply = text(REPORT)
    assert reply.endswith(QUESTION)
    reference, _ = opened(reply)
    case = db.session.scalar(select(Case).where(Case.reference == reference))
    if case.urgent:  # whatever the fixture model made of it, the question must decide here
        case.urgent = False
        db.session.commit()
    return case


def state() -> ConversationState:
    return db.session.scalar(select(SmsConversation.state).where(SmsConversation.phone_hash == phone_hash(PHONE)))


def urgent_answers() -> int:
    return db.session.scalar(select(func.count()).where(AuditEntry.action == "case.urgent_by_sender"))


def test_the_question_and_the_receipt_share_one_gsm7_segment(text, clock):
    reply = text(REPORT)
    assert QUESTION in reply and "receipt code" in reply
    assert len(reply) <= 160 and reply.isascii()
    assert state() is ConversationState.ASKED_DANGER


@pytest.mark.parametrize("answer", ["YES", "yes", "Yes!", "y", "yeah", "Yesss"])  # OUI: test_sms_keywords_in_languages
def test_yes_marks_the_case_urgent_and_gives_the_configured_emergency_advice(text, reported, clock, answer):
    clock.advance(minutes=3)
    assert text(answer) == render_reply(Reply.MARKED_URGENT, reference=reported.reference, advice=ADVICE)
    db.session.refresh(reported)
    assert reported.urgent
    urgent_ack = acknowledge_deadline(reported, reported.body, reported.created_at)
    assert reported.acknowledge_due_at <= urgent_ack  # urgent deadlines
    assert urgent_answers() == 1
    assert state() is ConversationState.FOLLOWING_UP
    # Answered: a later "yes" is part of the report again, not a second answer.
    clock.advance(minutes=1)
    assert text("yes") == render_reply(Reply.ADDED_TO_CASE, reference=reported.reference)
    assert urgent_answers() == 1


def test_no_leaves_the_models_urgency_as_it_is(text, reported, clock):
    reported.urgent = True  # what the model found: the answer is OR-ed with it, never overrides it
    db.session.commit()
    assert text("No") == render_reply(Reply.NOT_URGENT, reference=reported.reference)
    db.session.refresh(reported)
    assert reported.urgent
    assert urgent_answers() == 0
    assert state() is ConversationState.FOLLOWING_UP


def test_no_keeps_an_ordinary_case_ordinary(text, reported):
    assert text("NO.") == render_reply(Reply.NOT_URGENT, reference=reported.reference)
    db.session.refresh(reported)
    assert not reported.urgent


@pytest.mark.parametrize("reply", ["No one came to help us at the station", "they took him to the police post",
                                   "maybe", "2"])
def test_a_text_that_is_not_yes_or_no_joins_the_case_and_the_question_is_asked_again(text, reported, clock, reply):
    clock.advance(minutes=2)
    answer = text(reply)
    if reply == "2":  # a digit is a rating, as everywhere; nothing to rate yet
        assert answer == render_reply(Reply.NOTHING_TO_RATE)
    else:
        assert answer == render_reply(Reply.ASK_DANGER_AGAIN, reference=reported.reference)
        db.session.refresh(reported)
        assert [m.body for m in reported.messages if m.kind is MessageKind.FROM_COMPLAINANT] == [reply]
    assert state() is ConversationState.ASKED_DANGER
    db.session.refresh(reported)
    assert not reported.urgent
    clock.advance(minutes=2)
    assert text("YES").startswith(f"CivicWatch: report {reported.reference} is marked urgent.")
    db.session.refresh(reported)
    assert reported.urgent


def test_a_late_yes_still_counts_within_the_hour_but_a_late_report_is_a_new_one(text, reported, clock):
    clock.advance(minutes=30)
    assert "is marked urgent" in text("yes")
    db.session.refresh(reported)
    assert reported.urgent


def test_after_an_hour_yes_is_no_answer(text, reported, clock):
    clock.advance(minutes=61)
    assert text("yes") == render_reply(Reply.ASK_FOR_DETAILS)  # a new report's first words
    db.session.refresh(reported)
    assert not reported.urgent and urgent_answers() == 0


def test_a_long_text_after_the_follow_up_window_opens_a_new_report(text, reported, clock):
    clock.advance(minutes=11)
    reference, _ = opened(text("Soldiers at the Bo barracks gate beat a trader with a belt on Friday night."))
    assert reference != reported.reference


def test_a_retried_yes_is_answered_and_counted_once(send_text, reported, clock):
    clock.advance(minutes=1)
    sid = new_sid()
    before = last_outbox_id()
    acknowledged(send_text("YES", sid=sid))
    acknowledged(send_text("YES", sid=sid))  # Twilio retries before a worker ran
    answer_waiting_texts()
    acknowledged(send_text("YES", sid=sid))  # and after
    answer_waiting_texts()
    replies = replies_since(before)
    assert [reply.text for reply in replies] == [
        render_reply(Reply.MARKED_URGENT, reference=reported.reference, advice=ADVICE)]
    assert replies[0].case_id == reported.id
    assert urgent_answers() == 1


def test_a_retried_report_opens_one_case_and_asks_once(send_text, clock):
    sid = new_sid()
    before = last_outbox_id()
    acknowledged(send_text(REPORT, sid=sid))
    answer_waiting_texts()
    acknowledged(send_text(REPORT, sid=sid))
    answer_waiting_texts()
    replies = replies_since(before)
    assert len(replies) == 1 and replies[0].text.endswith(QUESTION)
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1
