"""The check-in job reads the cases owed a check-in, then asks each: the retention run may erase one in between
(an answered case awaiting closure, or a closed one). The case erased, nobody may be asked: no check-in, no text to
its number, no SMS dialogue waiting for its answer. The job locks the case and reads it again before asking, after
the number's dialogue (the order of the SMS worker and the erasure: dialogue, then case)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from civicwatch.cases.models import Case, CaseStatus, RetaliationCheckIn
from civicwatch.crypto import encrypt_text
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage
from civicwatch.phones import phone_hash
from civicwatch.sms.models import ConversationState, SmsConversation
from civicwatch.sms.operations import ask_due_check_ins
from tests.factories import create_case
from tests.retention.conftest import erased_meanwhile, schedule

PHONE = "+23276555391"


def owed_and_due_for_erasure(clock, status: CaseStatus) -> Case:
    case = create_case(status, phone=PHONE, fears_retaliation=True)
    db.session.add(SmsConversation(phone_hash=phone_hash(PHONE), phone_encrypted=encrypt_text(PHONE), state=ConversationState.IDLE, case_id=case.id))
    db.session.commit()
    schedule(status, 1)
    clock.now = (case.closed_at or case.acknowledged_at) + dt.timedelta(days=40)
    return case


@pytest.mark.parametrize("status", [CaseStatus.RESPONDED, CaseStatus.CLOSED])
def test_a_case_erased_while_the_job_asks_is_asked_nothing(app, clock, status):
    case = owed_and_due_for_erasure(clock, status)
    case_id = case.id
    with erased_meanwhile(app):
        asked = ask_due_check_ins(utcnow())
        db.session.commit()

    db.session.expire_all()
    assert db.session.get_one(Case, case_id).erased
    assert asked == 0
    assert db.session.scalar(select(func.count()).select_from(RetaliationCheckIn)
                             .where(RetaliationCheckIn.case_id == case_id)) == 0
    assert db.session.scalar(select(func.count()).select_from(OutboundMessage)
                             .where(OutboundMessage.purpose == "retaliation_check_in")) == 0
    assert db.session.scalar(select(func.count()).select_from(SmsConversation).where(
        SmsConversation.phone_hash == phone_hash(PHONE))) == 0


def test_a_case_not_erased_is_still_asked_by_text(app, clock):
    case = owed_and_due_for_erasure(clock, CaseStatus.RESPONDED)
    schedule(CaseStatus.RESPONDED, 12)
    assert ask_due_check_ins(utcnow()) == 1
    db.session.commit()
    conversation = db.session.scalar(select(SmsConversation).where(SmsConversation.phone_hash == phone_hash(PHONE)))
    assert conversation is not None and conversation.state is ConversationState.ASKED_CHECK_IN
    assert conversation.case_id == case.id
