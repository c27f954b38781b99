"""STATUS, STAT, STATUT and SUIVI followed by a receipt code or a reference ask for news of a case. A report that
merely begins with one of them and holds a date or a phone number ("Suivi par deux policiers depuis le 14/11/2026",
followed by two policemen since...) is a report: read as a status query, its words were answered with a case's news
(or "not found") and never stored."""
from __future__ import annotations

import pytest

from civicwatch.sms.dialogue import Event, classify
from civicwatch.sms.replies import Reply, render_reply
from tests.sms.test_sms_conversation import cases

REPORTS = [
    "Suivi par deux policiers depuis le 14/11/2026, ils m'ont menacé devant chez moi au quartier de Kissy.",
    "Statut de mon frère détenu depuis le 12/10/2026 à la prison de Pademba Road sans jugement ni avocat.",
    "Status of my brother arrested on 12/03/2026 at the Kenema checkpoint: still held without charge or food.",
    "Suivi jusqu'à la maison par un soldat hier soir, il a appelé mon numéro 076123456 pour me menacer.",
]


@pytest.mark.parametrize("body", REPORTS)
def test_a_report_led_by_a_status_word_is_a_report(body):
    assert classify(body)[0] is Event.DETAILED_TEXT


@pytest.mark.parametrize("body", REPORTS[:2])
def test_such_a_report_by_text_opens_a_case(text, clock, body):
    reply = text(body)
    (case,) = cases()
    assert case.reference in reply and reply != render_reply(Reply.STATUS_NOT_FOUND)


@pytest.mark.parametrize(("body", "query"), [
    ("STATUS 1234 5678 9012 3456", "1234 5678 9012 3456"), ("status CW-2026-000123", "CW-2026-000123"),
    ("SUIVI mon code est 1234 5678 9012 3456", "mon code est 1234 5678 9012 3456"),
    ("Status of my case CW-2026-000123 please", "of my case CW-2026-000123 please"),
    ("STATUT", None), ("status my report", "my report"),
    ("Status please, my receipt code is 1234 5678 9012 3456 thanks",
     "please, my receipt code is 1234 5678 9012 3456 thanks"),
    ("Suivi s'il vous plaît de mon dossier CW-2026-000123 merci beaucoup",
     "s'il vous plaît de mon dossier CW-2026-000123 merci beaucoup"),
])
def test_a_status_query_is_still_one(body, query):
    assert classify(body) == (Event.STATUS, query)
