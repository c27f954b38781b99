"""The retaliation watch by text: FEAR (PEUR, FRAID) marks the phone's latest open report at any time, and a
check-in texted after a case closed is answered by the phone's next YES, NO or account of what happened, through
the same operation as the follow-up page. Through the signed webhook and the worker, on a real database."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import Case, CaseStatus, RetaliationCheckIn
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.intake.retaliation import answer_check_in
from civicwatch.messaging.delivery import deliver_due_messages
from civicwatch.messaging.models import OutboundMessage
from civicwatch.messaging.senders import TwilioSender
from civicwatch.phones import phone_hash
from civicwatch.sms.dialogue import Event, classify
from civicwatch.sms.models import ConversationState, SmsConversation
from civicwatch.sms.operations import ask_due_check_ins
from civicwatch.sms.replies import Reply, render_reply
from tests.factories import create_case
from tests.messaging.recording_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, RecordingHttpClient
from tests.sms.conftest import PHONE, acknowledged, answer_waiting_texts, new_sid
from tests.sms.test_sms_conversation import REPORT, opened

ACCOUNT = "Two officers came to my house last night and told me to withdraw my complaint."


def audits(action: str) -> int:
    return db.session.scalar(select(func.count()).where(AuditEntry.action == action))


def conversation() -> SmsConversation:
    return db.session.scalar(select(SmsConversation).where(SmsConversation.phone_hash == phone_hash(PHONE)))


def case_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


@pytest.mark.parametrize("word", ["FEAR", "fear.", "Peur", "FRAID", "afraid!"])
def test_fear_words_are_a_keyword_in_every_language(word):
    assert classify(word) == (Event.FEAR, None)


@pytest.mark.parametrize("words", ["hear", "year", "I fear them"])
def test_near_words_and_sentences_are_not_the_keyword(words):
    assert classify(words)[0] is not Event.FEAR


def test_help_tells_of_fear(text, clock):
    assert "FEAR" in text("HELP")


def test_fear_marks_the_latest_open_report_once_and_leaves_the_danger_question_open(text, send_text, clock):
    reference, _ = opened(text(REPORT))
    case = db.session.scalar(select(Case).where(Case.reference == reference))
    assert case.fears_retaliation is False
    clock.advance(minutes=1)
    sid = new_sid()
    assert text("FEAR", sid=sid) == render_reply(Reply.FEAR_NOTED, reference=reference)
    acknowledged(send_text("FEAR", sid=sid))  # Twilio retries the same MessageSid
    answer_waiting_texts()
    assert text("afraid") == render_reply(Reply.FEAR_NOTED, reference=reference)  # a second FEAR changes nothing
    db.session.refresh(case)
    assert case.fears_retaliation is True
    assert audits("case.fears_retaliation") == 1
    assert conversation().state is ConversationState.ASKED_DANGER
    assert text("NO") == render_reply(Reply.NOT_URGENT, reference=reference)  # the question still answers


def test_fear_without_an_open_report_says_how(text, clock):
    create_case(CaseStatus.CLOSED, phone=PHONE)
    assert text("FEAR") == render_reply(Reply.NOTHING_TO_FEAR)
    assert audits("case.fears_retaliation") == 0


@pytest.fixture
def checked_in(app, clock) -> Case:
    """A closed case whose complainant feared retaliation, texted its 30-day check-in by the worker's job and
    delivered."""
    case = create_case(CaseStatus.CLOSED, phone=PHONE, fears_retaliation=True)
    clock.now = case.closed_at + dt.timedelta(days=30)
    assert ask_due_check_ins(utcnow()) == 1
    db.session.commit()
    texted = db.session.scalar(select(OutboundMessage).where(OutboundMessage.purpose == "retaliation_check_in"))
    assert texted is not None and texted.case_id == case.id
    assert conversation().state is ConversationState.ASKED_CHECK_IN and conversation().case_id == case.id
    sender = TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, http_client=RecordingHttpClient())
    assert deliver_due_messages(sender, "worker").sent == 1  # the question reaches the phone
    clock.advance(days=2)  # people answer when they can
    return case


def check_in() -> RetaliationCheckIn:
    return db.session.scalar(select(RetaliationCheckIn))


@pytest.mark.parametrize("answer", ["YES", ACCOUNT])
def test_yes_or_an_account_opens_one_linked_urgent_case_for_the_same_body(text, send_text, checked_in, answer):
    sid = new_sid()
    reply = text(answer, sid=sid)
    acknowledged(send_text(answer, sid=sid))  # Twilio retries the same MessageSid: no second case
    answer_waiting_texts()
    assert case_count() == 2
    linked = db.session.get(Case, check_in().reported_case_id)
    assert reply == render_reply(Reply.RETALIATION_REPORTED, reference=linked.reference)
    assert linked.body_id == checked_in.body_id and linked.urgent is True and linked.fears_retaliation is True
    assert checked_in.reference in linked.text and (ACCOUNT in linked.text) == (answer == ACCOUNT)
    assert check_in().retaliation_reported is True and audits("case.retaliation_answer") == 1
    # Texts within the follow-up window join the new case.
    assert conversation().state is ConversationState.FOLLOWING_UP and conversation().case_id == linked.id
    assert text("They came again this morning.") == render_reply(Reply.ADDED_TO_CASE, reference=linked.reference)
    assert case_count() == 2


def test_no_is_recorded_without_a_case(text, checked_in):
    assert text("No") == render_reply(Reply.NO_RETALIATION)
    assert check_in().retaliation_reported is False and check_in().answered_at is not None
    assert case_count() == 1
    assert conversation().state is ConversationState.IDLE


def test_a_text_too_short_to_say_what_happened_asks_again(text, checked_in):
    assert text("what?") == render_reply(Reply.ASK_CHECK_IN_AGAIN, reference=checked_in.reference)
    assert conversation().state is ConversationState.ASKED_CHECK_IN and check_in().answered_at is None


def test_a_check_in_answered_on_the_follow_up_page_is_not_answered_again(text, checked_in):
    answer_check_in(check_in(), False, None, checked_in.channel)
    db.session.commit()
    assert text("YES") == render_reply(Reply.CHECK_IN_ANSWERED)
    assert case_count() == 1 and check_in().retaliation_reported is False
    assert conversation().state is ConversationState.IDLE


def test_the_check_in_waits_two_weeks_then_texts_are_reports_again(text, checked_in, clock):
    clock.advance(days=15)
    assert text("YES") == render_reply(Reply.ASK_FOR_DETAILS)
    assert case_count() == 1 and check_in().answered_at is None


def test_a_yes_about_a_case_whose_office_has_closed_does_not_say_it_went_there(text, checked_in):
    checked_in.body.active = False
    db.session.commit()
    reply = text("YES")
    linked = db.session.get(Case, check_in().reported_case_id)
    assert linked.body_id is None and linked.urgent is True
    assert reply == render_reply(Reply.RETALIATION_REPORTED_ELSEWHERE, reference=linked.reference)
    assert "office that handled your case" not in reply
