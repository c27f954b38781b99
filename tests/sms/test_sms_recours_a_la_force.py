"""RECOURS appeals an answer, but "recours à la force" (use of force) is how French reports of police and army
abuse often begin: such a text is a report, never an appeal of an earlier answer nor a text dropped with "nothing
to appeal". RECOURS with a reason still appeals."""
from __future__ import annotations

import pytest

from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from civicwatch.sms.dialogue import Event, classify
from civicwatch.sms.replies import Reply, render_reply
from tests.intake.conftest import publish_answer
from tests.sms.test_sms_conversation import REPORT, cases, opened

USE_OF_FORCE = [
    "Recours à la force excessive par les policiers au marché de Kenema, mon frère a été blessé à la tête.",
    "RECOURS A LA FORCE par les gendarmes au barrage de Bo hier soir, ils ont frappé trois jeunes.",
    "Recours abusif à la force contre les vendeurs du marché ce matin, plusieurs blessés et un arrêté.",
    "recours aux armes par des soldats contre des manifestants pacifiques devant la mairie de Makeni.",
    "Recours excessif à la violence par les gardiens de la prison centrale, les détenus sont battus.",
]


@pytest.mark.parametrize("body", USE_OF_FORCE)
def test_a_report_of_the_use_of_force_is_no_appeal(body):
    assert classify(body)[0] is Event.DETAILED_TEXT


@pytest.mark.parametrize("body", USE_OF_FORCE[:2])
def test_a_first_report_of_the_use_of_force_by_text_opens_a_case(text, clock, body):
    reply = text(body)
    assert reply != render_reply(Reply.NOTHING_TO_APPEAL)
    (case,) = cases()
    assert case.text.startswith(body[:20]) and case.reference in reply  # its receipt, in French


def test_a_report_of_the_use_of_force_does_not_reopen_an_answered_case(text, clock, make_user):
    opened(text(REPORT))
    (answered,) = cases()
    publish_answer(answered, make_user)
    clock.advance(minutes=30)  # past the follow-up window: the text is no message of that case
    text(USE_OF_FORCE[0])
    db.session.refresh(answered)
    assert answered.status is CaseStatus.RESPONDED
    assert len(cases()) == 2 and cases()[1].text.startswith("Recours à la force")


@pytest.mark.parametrize(("body", "reason"), [
    ("RECOURS la police n'a rien fait", "la police n'a rien fait"), ("recours: ils mentent", "ils mentent"),
    ("Recours, ils n'ont pas interrogé les témoins", "ils n'ont pas interrogé les témoins"),
])
def test_recours_with_a_reason_still_appeals(body, reason):
    assert classify(body) == (Event.APPEAL, reason)
