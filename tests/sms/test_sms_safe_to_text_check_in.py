"""A retaliation check-in and a change of mind about texts. Texted and delivered before the phone said it is not
safe to text: an answer the citizen then texts is still an answer they chose to send, taken (and its reply sent), but
no later check-in is texted. Owed but held back before it was sent (the "no" came first): the question never reached
the phone, so the conversation does not wait for its answer; the phone's texts are reports as usual, and the
check-in is answered on the follow-up page. Through the signed webhook, the inbox worker and the outbox worker, over
Twilio's recorded HTTP."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from civicwatch.cases.models import Case, CaseStatus, RetaliationCheckIn
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage, OutboxStatus
from civicwatch.phones import phone_hash
from civicwatch.sms.models import ConversationState, SmsConversation
from civicwatch.sms.operations import ask_due_check_ins
from civicwatch.sms.replies import Reply, render_reply
from tests.factories import create_case
from tests.sms.conftest import PHONE, deliver, texted
from tests.sms.test_sms_conversation import REPORT, opened

ACCOUNT = "Two officers came to my house last night and told me to withdraw my complaint."
QUESTION = "Has anything happened to you because you reported?"


def conversation() -> SmsConversation:
    return db.session.scalar(select(SmsConversation).where(SmsConversation.phone_hash == phone_hash(PHONE)))


def check_in() -> RetaliationCheckIn:
    return db.session.scalar(select(RetaliationCheckIn).order_by(RetaliationCheckIn.id.desc()).limit(1))


def case_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


@pytest.fixture
def closed_case(app, clock) -> Case:
    """A closed case whose complainant, who reported by SMS, feared retaliation: its 30-day check-in is due."""
    case = create_case(CaseStatus.CLOSED, phone=PHONE, fears_retaliation=True)
    clock.now = case.closed_at + dt.timedelta(days=30)
    return case


def ask_check_in() -> None:
    assert ask_due_check_ins(utcnow()) == 1  # the worker's job
    db.session.commit()


@pytest.mark.parametrize("answer", ["NO", "YES", ACCOUNT])
def test_an_answer_texted_after_quiet_to_a_question_already_delivered_is_taken(
        app, text, clock, twilio_http, closed_case, answer):
    ask_check_in()
    deliver(app)
    assert any(QUESTION in body for body in texted(twilio_http))  # the question reached the phone
    clock.advance(days=1)
    text("QUIET")
    assert conversation().state is ConversationState.ASKED_CHECK_IN
    clock.advance(days=1)
    reply = text(answer)
    deliver(app)
    assert texted(twilio_http)[-1] == reply  # the reply to the citizen's own answer goes
    assert check_in().answered_at is not None and check_in().retaliation_reported is (answer != "NO")
    if answer == "NO":
        assert reply == render_reply(Reply.NO_RETALIATION)
    else:
        linked = db.session.get(Case, check_in().reported_case_id)
        assert reply == render_reply(Reply.RETALIATION_REPORTED, reference=linked.reference)


def test_no_later_check_in_is_texted_after_quiet(app, text, clock, twilio_http, closed_case):
    ask_check_in()
    deliver(app)
    text("QUIET")
    text("NO")
    asked = len(texted(twilio_http))
    clock.now = closed_case.closed_at + dt.timedelta(days=90)
    ask_check_in()  # the 90-day round
    deliver(app)
    assert not any(QUESTION in body for body in texted(twilio_http)[asked:])
    assert check_in().answered_at is None  # it waits on the follow-up page


def test_a_question_held_back_before_it_was_sent_is_not_waited_for_by_text(
        app, text, clock, twilio_http, closed_case):
    ask_check_in()
    text("QUIET")  # before the outbox worker sent the question
    deliver(app)
    assert not any(QUESTION in body for body in texted(twilio_http))
    question = db.session.scalar(select(OutboundMessage).where(OutboundMessage.purpose == "retaliation_check_in"))
    assert question.status is OutboxStatus.CANCELLED
    clock.advance(hours=2)
    # A "no" to a question the phone never got is no answer: the text is read as any other.
    assert text("NO") == render_reply(Reply.ASK_FOR_DETAILS)
    assert check_in().answered_at is None
    clock.advance(hours=2)
    # A report is a new report, with its receipt and the danger question, not an answer to the check-in.
    reply = text(REPORT)
    reference, _ = opened(reply)
    assert case_count() == 2 and check_in().answered_at is None
    assert conversation().state is ConversationState.ASKED_DANGER
    deliver(app)
    assert texted(twilio_http)[-1] == reply
    assert reference != closed_case.reference
