"""STATUS and a receipt code answers any phone, as the code is the secret; but a phone that is not the case's own is
not the complainant's: its question and the reply are not filed under the case. Staff of the body handling the
case (who may be the body complained about) never see that another number asked about it, nor any of its digits."""
from __future__ import annotations

import re

from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Case
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage
from civicwatch.phones import phone_hash
from civicwatch.sms.models import InboundSms
from civicwatch.taxonomy.models import Body
from tests.sms.conftest import OTHER_PHONE, PHONE

REPORT = "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card."
CODE = re.compile(r"receipt code is (\d{4} \d{4} \d{4} \d{4})")


def test_another_phones_status_question_is_not_filed_under_the_case(text, clock, client, make_user, login_as):
    code = CODE.search(text(REPORT)).group(1)
    case = db.session.scalars(select(Case)).one()
    case.body = db.session.scalars(select(Body).where(Body.code == "police_oversight")).one()
    db.session.commit()
    clock.advance(minutes=20)
    assert case.reference in text(f"STATUS {code}", phone=OTHER_PHONE)
    assert case.reference in text(f"STATUS {code}")  # the complainant's own question is the case's

    login_as(make_user(Role.INVESTIGATOR, body=case.body))
    html = client.get("/staff/outbox/").get_data(as_text=True)
    assert case.reference in html and "+232 ••• ••56" in html
    assert "••21" not in html and "4321" not in html

    asked = db.session.scalars(select(InboundSms).where(InboundSms.phone_hash == phone_hash(OTHER_PHONE))).one()
    reply = db.session.scalars(select(OutboundMessage).where(OutboundMessage.to_hash == phone_hash(OTHER_PHONE))).one()
    assert asked.case_id is None and reply.case_id is None
    assert {message.case_id for message in db.session.scalars(
        select(OutboundMessage).where(OutboundMessage.to_hash == phone_hash(PHONE)))} == {case.id}
