"""APPEAL appeals an answer, but "appeal for help" (or "appeal for justice") is how a report may begin: such a text is
a report, never an appeal of an earlier answer. And a text that starts with APPEAL and tells enough of what happened,
from a phone that never reported, is kept as a report instead of answered "no answer to appeal" and dropped (from a
phone with a report, it is an appeal come before the answer: test_sms_rating.py)."""
from __future__ import annotations

import pytest

from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from civicwatch.sms.dialogue import Event, classify
from civicwatch.sms.replies import Reply, render_reply
from tests.intake.conftest import publish_answer
from tests.sms.test_sms_conversation import REPORT, cases, opened

APPEALS_FOR_HELP = [
    "Appeal for help: soldiers are beating people at the Kenema checkpoint, my brother was taken away last night.",
    "APPEAL FOR JUSTICE. Police at Bo station beat my son and took his phone and money on Monday.",
    "appeal for urgent help, prison guards at Pademba Road are starving the detainees in block C.",
]


@pytest.mark.parametrize("body", APPEALS_FOR_HELP)
def test_an_appeal_for_help_is_a_report(body):
    assert classify(body)[0] is Event.DETAILED_TEXT


def test_an_appeal_for_help_does_not_reopen_an_answered_case(text, clock, make_user):
    opened(text(REPORT))
    (answered,) = cases()
    publish_answer(answered, make_user)
    clock.advance(minutes=30)
    text(APPEALS_FOR_HELP[0])
    db.session.refresh(answered)
    assert answered.status is CaseStatus.RESPONDED
    assert len(cases()) == 2 and cases()[1].text.startswith("Appeal for help")


def test_a_detailed_text_led_by_appeal_from_a_phone_that_never_reported_is_kept_as_a_report(text, clock):
    body = "APPEAL the soldiers at the Makeni barracks are beating the market women every morning and taking goods"
    reply = text(body)
    assert reply != render_reply(Reply.NOTHING_TO_APPEAL)
    (case,) = cases()
    assert case.text == body and case.reference in reply
    text("They also took the money of my sister and her phone at the market")  # a follow-up joins that case
    assert len(cases()) == 1


def test_a_short_appeal_from_a_phone_with_no_answer_is_still_told_there_is_none(text, clock):
    assert text("APPEAL I disagree with it") == render_reply(Reply.NOTHING_TO_APPEAL)
    assert cases() == []


@pytest.mark.parametrize(("body", "reason"), [
    ("APPEAL the police did nothing", "the police did nothing"), ("appeal: they lied", "they lied"),
    ("Appeal, nobody spoke to the witnesses", "nobody spoke to the witnesses"),
])
def test_appeal_with_a_reason_still_appeals(body, reason):
    assert classify(body) == (Event.APPEAL, reason)
