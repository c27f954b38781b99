"""A retaliation check-in texted while the case is open, answered by text through the signed webhook and the
worker: YES or an account of what happened marks that case urgent for the office investigating it (the account
added to it) and opens no new case; texts in the minutes after join the same case; NO changes nothing. The
question is asked in the phone's language (LANG)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from civicwatch.cases.models import Case, CaseMessage, CaseStatus, Channel, MessageKind, RetaliationCheckIn
from civicwatch.crypto import decrypt_text
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.messaging.delivery import deliver_due_messages
from civicwatch.messaging.models import OutboundMessage
from civicwatch.messaging.senders import TwilioSender
from civicwatch.phones import phone_hash
from civicwatch.sms.models import ConversationState, SmsConversation
from civicwatch.sms.operations import ask_due_check_ins
from civicwatch.sms.replies import Reply, render_reply
from tests.factories import create_case
from tests.messaging.recording_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, RecordingHttpClient
from tests.sms.conftest import PHONE, acknowledged, answer_waiting_texts, new_sid
from tests.sms.test_sms_retaliation import case_count

ACCOUNT = "Two officers came to my house last night and told me to withdraw my complaint."


def conversation() -> SmsConversation:
    return db.session.scalar(select(SmsConversation).where(SmsConversation.phone_hash == phone_hash(PHONE)))


def messages(case: Case) -> list[str]:
    return list(db.session.scalars(select(CaseMessage.body).where(
        CaseMessage.case_id == case.id, CaseMessage.kind == MessageKind.FROM_COMPLAINANT).order_by(CaseMessage.id)))


def check_in() -> RetaliationCheckIn:
    return db.session.scalar(select(RetaliationCheckIn))


def ask(case: Case, clock) -> None:
    """The deliver worker's check-in job, 14 days after the acknowledgement, and the question sent."""
    clock.now = case.acknowledged_at + dt.timedelta(days=14)
    assert ask_due_check_ins(utcnow()) == 1
    db.session.commit()
    assert conversation().state is ConversationState.ASKED_CHECK_IN and conversation().case_id == case.id
    sender = TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, http_client=RecordingHttpClient())
    assert deliver_due_messages(sender, "worker").sent == 1
    clock.advance(hours=5)


@pytest.fixture
def investigated(app, clock) -> Case:
    """A case under investigation whose complainant reported by text and feared retaliation, asked by text."""
    case = create_case(CaseStatus.INVESTIGATING, phone=PHONE, channel=Channel.SMS,
                       fears_retaliation=True)
    ask(case, clock)
    return case


@pytest.mark.parametrize("answer", ["YES", ACCOUNT])
def test_yes_or_an_account_marks_the_case_urgent_and_opens_no_other(text, send_text, investigated, answer):
    sid = new_sid()
    reply = text(answer, sid=sid)
    acknowledged(send_text(answer, sid=sid))  # Twilio retries the same MessageSid: nothing twice
    answer_waiting_texts()
    assert reply == render_reply(Reply.RETALIATION_FLAGGED, reference=investigated.reference)
    assert case_count() == 1
    case = db.session.get(Case, investigated.id, populate_existing=True)
    assert case.urgent is True and case.status is CaseStatus.INVESTIGATING
    assert messages(case) == ([ACCOUNT] if answer == ACCOUNT else [])
    assert check_in().retaliation_reported is True and check_in().reported_case_id is None
    # Texts within the follow-up window join the same case.
    assert conversation().state is ConversationState.FOLLOWING_UP and conversation().case_id == case.id
    assert text("They came again this morning.") == render_reply(Reply.ADDED_TO_CASE, reference=case.reference)
    assert messages(case)[-1] == "They came again this morning."
    assert case_count() == 1


def test_no_is_recorded_and_changes_nothing_else(text, investigated):
    assert text("NO") == render_reply(Reply.NO_RETALIATION)
    case = db.session.get(Case, investigated.id, populate_existing=True)
    assert check_in().retaliation_reported is False and case.urgent is False and messages(case) == []


def test_the_question_is_texted_in_the_phones_language(text, app, clock):
    case = create_case(CaseStatus.INVESTIGATING, phone=PHONE, fears_retaliation=True)
    text("LANG KRIO")
    clock.now = case.acknowledged_at + dt.timedelta(days=14)
    assert ask_due_check_ins(utcnow()) == 1
    db.session.commit()
    asked = db.session.scalar(select(OutboundMessage).where(OutboundMessage.purpose == "retaliation_check_in"))
    assert "Sontin don apin to yu bikos yu ripot?" in decrypt_text(asked.body_encrypted)
