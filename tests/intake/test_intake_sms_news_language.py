"""A citizen who reports on the web page in French or Krio and leaves a phone number gets the case's news by
SMS. Those texts must be in the language the citizen reported in, as they are after assisted intake (which
remembers the language for the number) and after LANG by SMS; nothing tells a web reporter to text LANG."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus
from civicwatch.cases.operations import change_status
from civicwatch.cases.workflow import transition_case
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage
from civicwatch.taxonomy.models import Body
from tests.intake.conftest import report_and_read_receipt

PHONE = "+232 76 123 456"


@pytest.mark.parametrize("language, investigating", [
    ("fr", "maintenant sur votre plainte"),
    ("kri", "de investiget yu kes naw"),
])
def test_case_news_by_sms_is_in_the_language_the_citizen_reported_in(client, clock, make_user, language,
                                                                      investigating):
    client.get(f"/language/{language}")
    reported = report_and_read_receipt(client, contact_choice="contact", phone=PHONE)
    case = reported.case
    investigator = make_user(Role.INVESTIGATOR, body="police_oversight")
    case.body = db.session.scalar(select(Body).where(Body.code == "police_oversight"))
    if case.status is CaseStatus.RECEIVED:
        transition_case(case, CaseStatus.TRIAGED, investigator)
    transition_case(case, CaseStatus.ACKNOWLEDGED, investigator)
    change_status(case, investigator, CaseStatus.INVESTIGATING)
    db.session.commit()
    news = db.session.scalars(select(OutboundMessage).where(OutboundMessage.case_id == case.id,
                                                             OutboundMessage.purpose == "status")
                              .order_by(OutboundMessage.id)).all()
    assert news, "the complainant left a phone number: the news goes by SMS"
    assert investigating in news[-1].text, news[-1].text
    assert "is now investigating your complaint" not in news[-1].text
