"""A complainant told to "text STATUS and your receipt code" often texts the code alone. The code is the secret
that opens the follow-up page: texted alone it is a STATUS question (with the same count of wrong codes), never
words of a report, which would put it before the staff of the body handling that report, perhaps another body."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from civicwatch.cases.models import Case, CaseMessage
from civicwatch.extensions import db
from civicwatch.intake.models import ReceiptLookupFailure
from civicwatch.sms.dialogue import Event, classify
from civicwatch.sms.replies import Reply, render_reply
from tests.sms.conftest import OTHER_PHONE

REPORT = "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card."
MORE = "They also took my phone and my wallet near the market on Tuesday."
CODE = re.compile(r"receipt code is (\d{4} \d{4} \d{4} \d{4})")


@pytest.mark.parametrize("text", ["1234 5678 9012 3456", "1234567890123456", " 1234-5678-9012-3456. ",
                                  "1234.5678.9012.3456"])
def test_a_receipt_code_alone_is_a_status_question(text):
    assert classify(text) == (Event.STATUS, text.strip())
    assert classify(text, answering=True)[0] is Event.STATUS


@pytest.mark.parametrize("text", ["1234 5678", "12345678901234567", "076 123456", "My code 1234 5678 9012 3456 "
                                  "does not work and the police came to my house again last night"])
def test_other_numbers_are_not(text):
    assert classify(text)[0] is not Event.STATUS


def texts_of_cases() -> str:
    return "\n".join([case.text for case in db.session.scalars(select(Case))]
                     + [message.body for message in db.session.scalars(select(CaseMessage))])


def test_the_code_texted_alone_answers_with_the_status_and_never_joins_a_report(text, clock):
    code = CODE.search(text(REPORT)).group(1)
    reference = db.session.scalars(select(Case)).one().reference

    clock.advance(minutes=3)  # while the danger question and the follow-up window are open
    assert reference in text(code)
    clock.advance(hours=3)  # and later, before the details of a new report
    assert reference in text(code)
    text(MORE)
    assert reference in text(code.replace(" ", ""), phone=OTHER_PHONE)  # from any phone, as STATUS and the code

    assert code not in texts_of_cases() and code.replace(" ", "") not in texts_of_cases()


def test_wrong_codes_texted_alone_count_against_the_phone(text, clock):
    assert text("9000 0000 0000 0001", phone=OTHER_PHONE) == render_reply(Reply.CODE_NOT_FOUND)
    assert db.session.scalars(select(ReceiptLookupFailure)).one().failures == 1
    assert db.session.scalars(select(Case)).all() == []
