"""A web report while the active model's files are damaged (cut short by a failed copy or a full disk) when the
process first loads it: the report must be stored and wait in the triage queue, never be refused with a 500."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicwatch.cases.models import Case
from civicwatch.classify.registry import active_model_path
from civicwatch.extensions import db
from civicwatch.sms.inbox import process_inbox
from tests.intake.conftest import post_report
from tests.messaging.recording_twilio import AUTH_TOKEN
from tests.sms.conftest import PHONE, PUBLIC_BASE_URL, acknowledged, new_sid, replies_since, sign

DAMAGES = {
    "meta cut short": lambda path: (path / "meta.json").write_text('{"labels": ['),
    "word counts cut short": lambda path: (path / "words.json").write_text('{"the": 1'),
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_web_report_is_stored_in_triage_when_the_active_model_is_cut_short(app, client, active_model, damage):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: an unhandled error is a 500 page
    DAMAGES[damage](active_model_path())  # damaged before the first classification of this process

    response = post_report(client)

    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    [case] = db.session.scalars(select(Case)).all()
    assert case.body_id is None  # not routed: it waits in the triage queue


def test_a_text_is_made_a_case_in_triage_and_answered_when_the_active_model_is_cut_short(app, client, active_model):
    """The same for a complaint by SMS: the worker must store it as a case in triage and reply with the receipt,
    not fail on it until it is set aside, with no case and no reply to the sender."""
    app.config.update(TWILIO_AUTH_TOKEN=AUTH_TOKEN, PUBLIC_BASE_URL=PUBLIC_BASE_URL)
    DAMAGES["meta cut short"](active_model_path())
    params = {"MessageSid": new_sid(), "From": PHONE, "To": "+15005550006",
              "Body": "Police at the Bo junction took my phone and money and beat me when I asked for a receipt."}
    acknowledged(client.post("/sms/inbound", data=params,
                             headers={"X-Twilio-Signature": sign("/sms/inbound", params)}))

    report = process_inbox()

    assert report.failed == 0 and report.set_aside == 0, report
    [case] = db.session.scalars(select(Case)).all()
    assert case.body_id is None  # not routed: it waits in the triage queue
    assert len(replies_since(0)) == 1
