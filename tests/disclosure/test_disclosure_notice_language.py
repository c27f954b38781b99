"""The notice that a complainant's name and contact details are about to leave the body (outside-body
disclosure) is the one text that lets them protect themselves ("if this puts you at risk, reply now"). A phone
that chose French or Krio with LANG must read it in that language, as it reads every other case text."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicwatch.disclosure.models import DisclosureRequest
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage
from civicwatch.messaging.operations import remember_phone_language
from civicwatch.phones import phone_hash
from tests.disclosure.conftest import PHONE
from tests.disclosure.test_disclosure_operations import ask, decide
from tests.factories import staff_client


@pytest.mark.parametrize("language", ["fr", "kri"])
def test_the_outside_disclosure_notice_is_texted_in_the_phones_language(app, staff, vault_case, language):
    remember_phone_language(phone_hash(PHONE), language)
    db.session.commit()
    ask(staff_client(app, staff.investigator), vault_case, scope="outside_body",
        recipient="The prosecutor of Western Area")
    decide(staff_client(app, staff.custodian), db.session.scalars(select(DisclosureRequest)).one().id)
    sms = db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "disclosure_notice")).one()
    assert sms.text.startswith("CivicWatch " + vault_case.reference)
    # The English notice, word for word, reaches a phone that asked for French or Krio.
    assert "share your name and contact details" not in sms.text
    assert "If this puts you at risk, reply now." not in sms.text
