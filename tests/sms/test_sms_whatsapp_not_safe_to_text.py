"""A phone is safe to text or not whatever carries the texts: a complainant who reported by WhatsApp and later says
on the web form that others read the messages on that phone must not get the WhatsApp case's news on it either."""
from __future__ import annotations

from sqlalchemy import select

from civicwatch.cases.models import Case, Channel
from civicwatch.cases.notifications import notify_complainant
from civicwatch.extensions import db
from tests.intake.conftest import report_and_read_receipt
from tests.sms.conftest import PHONE, WHATSAPP_PHONE
from tests.sms.test_sms_whatsapp import REPORT, deliver, twilio_http  # noqa: F401


def test_a_web_answer_no_keeps_the_phone_s_whatsapp_news_back_too(client, whatsapp, twilio_http):  # noqa: F811
    whatsapp(REPORT)
    deliver(twilio_http)  # the reply to the citizen's own message goes
    replied = len(twilio_http.accepted)
    report_and_read_receipt(client, contact_choice="contact", phone=PHONE, texts_allowed="no")
    case = db.session.scalar(select(Case).where(Case.channel == Channel.WHATSAPP))
    notify_complainant(case, "CivicWatch: your report is with the police oversight office.", "status")
    db.session.commit()
    deliver(twilio_http)
    assert WHATSAPP_PHONE not in [request.data["To"] for request in twilio_http.accepted[replied:]]
