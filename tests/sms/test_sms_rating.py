"""Rating and appealing an answer by text: the same operations as the follow-up page, through the signed
webhook and a real database."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civicwatch.audit.models import AuditEntry
from civicwatch.audit.values import fingerprint
from civicwatch.cases.models import Case, CaseEvent, CaseStatus
from civicwatch.extensions import db
from civicwatch.sms.dialogue import Action, Event, Snapshot, classify, decide
from civicwatch.sms.models import ConversationState, InboundSms
from civicwatch.sms.replies import Reply, is_gsm7, render_reply, segment_count
from tests.intake.conftest import publish_answer
from tests.sms.conftest import OTHER_PHONE, new_sid
from tests.sms.test_sms_conversation import REPORT, cases, opened

REASON = "They never asked the witnesses at the checkpoint"


@pytest.fixture
def answered_by_text(text, clock, make_user) -> Case:
    """A case reported by text from PHONE, answered, with its answer published."""
    opened(text(REPORT))
    (case,) = cases()
    publish_answer(case, make_user)
    clock.advance(minutes=30)  # past the follow-up window
    return case


def audit_count(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


def one_segment(reply: str) -> bool:
    return is_gsm7(reply) and segment_count(reply) == 1


@pytest.mark.parametrize("body", ["4", " 4 ", "4/5", "4!"])
def test_a_rating_by_text_is_the_same_operation_as_on_the_web(text, answered_by_text, body):
    case = answered_by_text
    reply = text(body)
    assert reply == render_reply(Reply.RATED, score=4, reference=case.reference) and one_segment(reply)
    db.session.refresh(case)
    assert case.satisfaction == 4
    (event,) = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "answer_rated"))
    assert event.case_id == case.id and event.public and event.detail == {"rating": 4}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "case.rate"))
    assert entry.user_id is None and entry.after == {"satisfaction": 4}


def test_a_new_rating_by_text_replaces_the_old(text, answered_by_text):
    text("2")
    text("5")
    db.session.refresh(answered_by_text)
    assert answered_by_text.satisfaction == 5
    assert audit_count("case.rate") == 2


def test_a_rating_without_an_answer_changes_nothing(text, clock):
    opened(text(REPORT))
    clock.advance(minutes=30)
    assert text("5") == render_reply(Reply.NOTHING_TO_RATE)
    assert cases()[0].satisfaction is None
    assert audit_count("case.rate") == 0


def test_a_rating_from_another_phone_does_not_reach_the_case(text, answered_by_text):
    assert text("1", phone=OTHER_PHONE) == render_reply(Reply.NOTHING_TO_RATE)
    db.session.refresh(answered_by_text)
    assert answered_by_text.satisfaction is None


@pytest.mark.parametrize("body", [f"APPEAL {REASON}", f"appeal: {REASON}", f"Appeal - {REASON}",
                                  f"aPpEaL {REASON}"])
def test_an_appeal_by_text_reopens_the_case(text, answered_by_text, body):
    case = answered_by_text
    reply = text(body)
    assert reply == render_reply(Reply.APPEALED, reference=case.reference) and one_segment(reply)
    assert "reopened" in reply
    db.session.refresh(case)
    assert case.status is CaseStatus.REOPENED and case.responded_at is None
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.to_status == "reopened"))
    assert event.public and event.user_id is None and event.detail == {"reason": REASON}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "case.reopen"))
    assert entry.user_id is None and entry.after["reason"] == fingerprint(REASON)
    # The appeal is not a report: no new case, no message added to the case.
    assert len(cases()) == 1 and case.messages == []


def test_after_an_appeal_there_is_nothing_left_to_rate_or_appeal(text, answered_by_text):
    text(f"APPEAL {REASON}")
    assert text("5") == render_reply(Reply.NOTHING_TO_RATE)
    assert text(f"APPEAL {REASON}") == render_reply(Reply.NOTHING_TO_APPEAL)
    assert audit_count("case.reopen") == 1


@pytest.mark.parametrize("body", ["APPEAL", "appeal.", "Appeal: bad", "APPEAL     "])
def test_an_appeal_needs_a_reason(text, answered_by_text, body):
    assert text(body) == render_reply(Reply.APPEAL_NEEDS_REASON)
    db.session.refresh(answered_by_text)
    assert answered_by_text.status is CaseStatus.RESPONDED


def test_an_appeal_without_an_answer_says_so(text, clock):
    opened(text(REPORT))
    clock.advance(minutes=30)
    assert text(f"APPEAL {REASON}") == render_reply(Reply.NOTHING_TO_APPEAL)
    assert cases()[0].status is not CaseStatus.REOPENED
    assert audit_count("case.reopen") == 0


def test_a_retried_appeal_is_carried_out_once(text, answered_by_text):
    sid = new_sid()
    assert text(f"APPEAL {REASON}", sid=sid).startswith("CivicWatch: your appeal")
    assert text(f"APPEAL {REASON}", sid=sid) is None  # the retry gets no second reply
    assert db.session.scalar(select(func.count()).where(CaseEvent.to_status == "reopened")) == 1
    assert db.session.scalar(select(InboundSms.event).where(InboundSms.message_sid == sid)) == "appeal"


def test_an_appeal_inside_the_follow_up_window_is_not_added_to_the_report(text, clock, make_user):
    opened(text(REPORT))
    (case,) = cases()
    publish_answer(case, make_user)
    clock.advance(minutes=2)
    assert text(f"APPEAL {REASON}") == render_reply(Reply.APPEALED, reference=case.reference)
    db.session.refresh(case)
    assert case.status is CaseStatus.REOPENED and case.messages == []


@pytest.mark.parametrize("body, event, argument", [
    (f"APPEAL {REASON}", Event.APPEAL, REASON),
    ("appeal", Event.APPEAL, None),
    ("  Appeal:  it was wrong ", Event.APPEAL, "it was wrong"),
    ("Appealing to you all, soldiers are beating people at the market", Event.DETAILED_TEXT, None),
    ("apple seller beaten by police at the market in Bo today", Event.DETAILED_TEXT, None),
])
def test_the_appeal_keyword(body, event, argument):
    assert classify(body) == (event, argument)


@pytest.mark.parametrize("state", list(ConversationState))
def test_appeal_keeps_the_conversation_where_it_was(state):
    import datetime as dt

    now = dt.datetime(2026, 3, 12, 9, 0, tzinfo=dt.UTC)
    snapshot = Snapshot(state, "police" if state is ConversationState.AWAITING_DETAILS else None, now, now)
    decision = decide(snapshot, f"APPEAL {REASON}", now)
    assert decision.action is Action.APPEAL and decision.appeal_reason == REASON
    assert decision.next_state is state
