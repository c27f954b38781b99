"""An erasure beside the deliver worker holding a WhatsApp text of the case outside the session window (PostgreSQL):
the hold locks the session, marks the text held and inserts the template that asks the citizen to write, a row
referring to the case; the erasure locks the case (FOR UPDATE, waiting for such inserts), then deletes the case's
texts and the session. Taken in opposite orders the two wait for each other: PostgreSQL breaks the deadlock by
failing one. They must take their locks in one order, one waiting for the other."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from civicwatch.messaging.delivery import deliver_due_messages
from civicwatch.messaging.models import OutboundMessage
from civicwatch.messaging.operations import queue_sms
from civicwatch.messaging.senders import TwilioSender
from civicwatch.phones import WHATSAPP
from tests.conftest import on_postgres
from tests.messaging.recording_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, RecordingHttpClient
from tests.retention.conftest import PHONE, due_for_erasure
from tests.retention.erasure_beside import erase_beside

WHATSAPP_FROM = "whatsapp:+14155238886"
TEMPLATE = "HX" + "0" * 32
HELD = "CivicWatch: the investigator wrote to you about your report."


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config.update(TWILIO_WHATSAPP_NUMBER=WHATSAPP_FROM, TWILIO_WHATSAPP_TEMPLATE_SID=TEMPLATE)
    return app_config


@pytest.mark.postgres_only
@pytest.mark.skipif(not on_postgres(), reason="row locks and deadlock detection are PostgreSQL's")
def test_an_erasure_and_a_whatsapp_hold_of_the_case_do_not_deadlock(app, clock, staff):
    case = due_for_erasure(staff, clock)
    case_id = case.id
    queue_sms(PHONE, HELD, "status", case_id, WHATSAPP)
    db.session.commit()  # the citizen never wrote on WhatsApp within a day: the text is held
    http = RecordingHttpClient()
    sender = TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, http_client=http, whatsapp_from=WHATSAPP_FROM)
    # The hold, its session locked and its text marked held, is about to insert the template.
    met = erase_beside(app, lambda: deliver_due_messages(sender, "worker-a"),
                       lambda statement: statement.startswith("INSERT INTO outbound_messages"))
    blocked, errors, held, run = met.blocked, met.sqlstates, met.result, met.run

    assert blocked == [True], "the erasure did not wait for the hold"
    assert "40P01" not in errors, "the erasure and the hold deadlocked"
    assert held.errors == [] and held.held == 1
    assert run is not None and run.erased == 1
    db.session.expire_all()
    assert db.session.get_one(Case, case_id).erased
    left = db.session.scalar(select(func.count()).select_from(OutboundMessage)
                             .where(OutboundMessage.case_id == case_id))
    assert left == 0, "the held text or its template outlived the erasure"
    assert HELD not in [request.data.get("Body") for request in http.requests]  # held, then erased
