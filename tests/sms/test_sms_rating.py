"""Rating and appealing an answer by text: the same operations as the follow-up page, through the signed
webhook and a real database."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.audit.values import fingerprint
from civicwatch.cases.models import Case, CaseEvent, CaseMessage, CaseStatus, Outcome
from civicwatch.cases.notifications import FEEDBACK_BY_TEXT
from civicwatch.cases.operations import change_status
from civicwatch.cases.workflow import transition_case
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage
from civicwatch.sms.dialogue import Action, Event, Snapshot, classify, decide
from civicwatch.sms.models import ConversationState, InboundSms
from civicwatch.sms.replies import Reply, is_gsm7, render_reply, segment_count
from civicwatch.taxonomy.models import Body
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


# ---------------------------------------------------------------- as the answer's SMS asks

def answer_texts(case: Case) -> list[str]:
    return [message.text for message in db.session.scalars(
        select(OutboundMessage).where(OutboundMessage.case_id == case.id, OutboundMessage.purpose == "answer"))]


def test_the_published_answer_text_asks_for_a_rating_or_appeal_by_text_in_one_segment(answered_by_text):
    (sms,) = answer_texts(answered_by_text)
    assert sms.endswith(FEEDBACK_BY_TEXT) and "RATE 1-5" in sms and "APPEAL" in sms
    assert f"/published/{answered_by_text.reference}" in sms
    assert "/track" not in sms and "receipt code" not in sms
    assert one_segment(sms), (len(sms), sms)


@pytest.mark.parametrize("body", ["RATE 4", "rate 4", "Rate: 4", "RATE 4/5", "rate 4!"])
def test_rate_and_a_score_rates_the_answer(text, answered_by_text, body):
    case = answered_by_text
    assert text(body) == render_reply(Reply.RATED, score=4, reference=case.reference)
    db.session.refresh(case)
    assert case.satisfaction == 4 and audit_count("case.rate") == 1


@pytest.mark.parametrize("body", ["RATE", "rate 9", "RATE 0", "rate it"])
def test_rate_without_a_score_from_1_to_5_asks_again_and_changes_nothing(text, answered_by_text, body):
    reply = text(body)
    assert reply == render_reply(Reply.RATE_HOW) and one_segment(reply)
    db.session.refresh(answered_by_text)
    assert answered_by_text.satisfaction is None and audit_count("case.rate") == 0
    assert len(cases()) == 1  # not taken for a report either


def test_rate_before_an_answer_says_there_is_none(text, clock):
    opened(text(REPORT))
    clock.advance(minutes=30)
    assert text("RATE 5") == render_reply(Reply.NOTHING_TO_RATE)
    assert audit_count("case.rate") == 0


def test_rate_then_appeal_as_the_answer_text_says(text, answered_by_text):
    case = answered_by_text
    text("RATE 2")
    assert text(f"APPEAL {REASON}") == render_reply(Reply.APPEALED, reference=case.reference)
    db.session.refresh(case)
    assert case.satisfaction == 2 and case.status is CaseStatus.REOPENED
    assert text("RATE 5") == render_reply(Reply.NOTHING_TO_RATE)  # reopened: no answer to rate until answered


def test_a_response_sent_by_sms_ends_with_how_to_rate_or_appeal(text, clock, make_user):
    opened(text(REPORT))
    (case,) = cases()
    investigator = make_user(Role.INVESTIGATOR, body="police_oversight")
    case.body = db.session.query(Body).filter_by(code="police_oversight").one()
    case.outcome, case.findings = Outcome.SUBSTANTIATED, "The officer shouted; he is warned."
    for target in (CaseStatus.ACKNOWLEDGED, CaseStatus.INVESTIGATING):
        transition_case(case, target, investigator)
    change_status(case, investigator, CaseStatus.RESPONDED, response="The officer is warned. Thank you.")
    db.session.commit()
    (sms,) = answer_texts(case)
    assert sms == f"CivicWatch {case.reference}: The officer is warned. Thank you. {FEEDBACK_BY_TEXT}"
    assert one_segment(sms)
    message = db.session.scalar(select(CaseMessage).where(CaseMessage.case_id == case.id))
    assert message.body == "The officer is warned. Thank you."  # the follow-up page has its own forms
    clock.advance(minutes=30)
    assert text("RATE 5") == render_reply(Reply.RATED, score=5, reference=case.reference)
