"""A report that said its phone is not safe to text ("someone else reads my messages on this phone") is not told
to whoever holds that phone. Texts we start no longer go there, and nor may the phone's own STATUS, rating, appeal
or follow-up texts reach the report: the person complained about, holding the phone, would otherwise learn by one
STATUS that a complaint was made, its reference and which body holds it. End to end through the web form and the
signed webhook, on a real database."""
from __future__ import annotations

from sqlalchemy import select

from civicwatch.cases.models import CaseMessage, MessageKind
from civicwatch.extensions import db
from civicwatch.sms.replies import Reply, render_reply
from tests.intake.conftest import report_and_read_receipt
from tests.sms.conftest import PHONE

REPORT = ("My husband is a police sergeant. He beats me and took my ID card. He reads my messages, so please do not "
          "text this phone.")


def test_status_from_a_phone_its_report_said_is_not_safe_does_not_tell_of_the_report(app, text, clock):
    reported = report_and_read_receipt(app.test_client(), text=REPORT, contact_choice="contact", phone=PHONE,
                                       texts_allowed="no")
    clock.advance(hours=5)

    reply = text("STATUS")  # the phone, in someone else's hands

    assert reported.reference not in (reply or ""), reply
    assert reply == render_reply(Reply.STATUS_NOT_FOUND)


def test_the_phone_s_texts_do_not_reach_a_report_that_said_it_is_not_safe(app, text, clock):
    reported = report_and_read_receipt(app.test_client(), text=REPORT, contact_choice="contact", phone=PHONE,
                                       texts_allowed="no")
    clock.advance(hours=5)

    reply = text(f"{reported.reference} she lied, nothing happened, close this case")

    assert reported.reference not in (reply or ""), reply
    assert not db.session.scalars(select(CaseMessage).where(CaseMessage.case_id == reported.case.id,
                                                            CaseMessage.kind == MessageKind.FROM_COMPLAINANT)).all()
