"""The follow-up page's "May we send you texts on this phone?" is limited per client as the page's other forms
are (TRACK_RATE_LIMIT): a client cannot flip a number's answer without end."""
from __future__ import annotations

import pytest

from civicwatch.extensions import db
from civicwatch.messaging.queries import is_safe_to_text
from tests.intake.conftest import case_page_token, open_case, report_and_read_receipt


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True, "REPORT_RATE_LIMIT": "10 per minute", "TRACK_RATE_LIMIT": "3 per minute"}


def test_answers_on_the_follow_up_page_are_limited_per_client(client):
    reported = report_and_read_receipt(client, contact_choice="contact", phone="+232 76 123 456",
                                       texts_allowed="yes")
    open_case(client, reported.code)
    token = case_page_token(client)
    statuses = [client.post("/track/case/texts", data={"csrf_token": token, "case_reference": reported.reference,
                                                       "texts_allowed": answer}).status_code
                for answer in ("no", "yes", "no", "yes")]
    assert statuses == [303, 303, 303, 429]
    db.session.expire_all()
    assert is_safe_to_text(db.session.merge(reported.case).contact_phone_hash) is False  # the fourth was not saved
