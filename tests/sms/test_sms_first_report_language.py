"""A first report texted in French or Krio from a phone that chose no language is answered in it: the receipt code
and the danger question in the citizen's language, and the phone keeps it, as a French or Krio keyword would make it.
A phone that chose a language (LANG) keeps its own; an English report sets none. Through the signed webhook and the
worker, on a real database."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from civicwatch.sms.replies import Reply
from tests.sms.test_sms_complaint_language import ENGLISH, FRENCH, KRIO
from tests.sms.test_sms_keywords_in_languages import in_language, remembered


def opened_as(language: str) -> str:
    case = db.session.scalars(select(Case).order_by(Case.id.desc())).first()
    reply = in_language(language, Reply.CASE_OPENED, reference=case.reference, receipt_code="0000 0000 0000 0000")
    return reply.replace("0000 0000 0000 0000", "(code)")


def without_code(reply: str) -> str:
    return re.sub(r"\d{4} \d{4} \d{4} \d{4}", "(code)", reply)


@pytest.mark.parametrize(("body", "language"), [(FRENCH, "fr"), (KRIO, "kri")])
def test_a_first_report_in_french_or_krio_is_answered_in_it_and_the_phone_keeps_it(text, clock, body, language):
    reply = text(body)
    assert without_code(reply) == opened_as(language)
    assert remembered() == language
    clock.advance(minutes=1)
    case = db.session.scalars(select(Case).order_by(Case.id.desc())).first()
    assert text("NO") == in_language(language, Reply.NOT_URGENT, reference=case.reference)


def test_an_english_report_sets_no_language(text, clock):
    assert without_code(text(ENGLISH)) == opened_as("en")
    assert remembered() is None


def test_a_phone_that_chose_a_language_keeps_it(text, clock):
    text("LANG EN")
    assert without_code(text(FRENCH)) == opened_as("en")
    assert remembered() == "en"
