"""An erasure beside the deliver worker holding a WhatsApp text of a case reported on WhatsApp (PostgreSQL): the
hold locks the number's session and the case, the erasure the same session, the dialogues and the case. The erasure
starts when the hold holds the first of its two locks and is about to take the second: in the erasure's order one
waits for the other; in the opposite order each waits for the other, and PostgreSQL breaks the deadlock by failing
one."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from civicwatch.messaging.delivery import deliver_due_messages
from civicwatch.messaging.models import OutboundMessage, WhatsAppSession
from civicwatch.messaging.operations import queue_sms
from civicwatch.messaging.senders import TwilioSender
from civicwatch.phones import WHATSAPP, contact_hash
from tests.conftest import on_postgres
from tests.messaging.recording_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, RecordingHttpClient
from tests.retention.conftest import PHONE, due_for_erasure
from tests.retention.erasure_beside import erase_beside
from tests.retention.test_retention_whatsapp_hold_race import HELD, TEMPLATE, WHATSAPP_FROM


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config.update(TWILIO_WHATSAPP_NUMBER=WHATSAPP_FROM, TWILIO_WHATSAPP_TEMPLATE_SID=TEMPLATE)
    return app_config


def _locks_the_session_or_the_case(sql: str) -> bool:
    words = " ".join(sql.upper().split())
    return words.startswith("SELECT") and " FOR " in words and ("FROM WHATSAPP_SESSIONS" in words
                                                                or "FROM CASES" in words)


@pytest.mark.postgres_only
@pytest.mark.skipif(not on_postgres(), reason="row locks and deadlock detection are PostgreSQL's")
def test_an_erasure_and_a_hold_of_a_whatsapp_case_take_its_session_and_case_in_one_order(app, clock, staff):
    case = due_for_erasure(staff, clock)
    case_id, on_whatsapp = case.id, contact_hash(PHONE, WHATSAPP)
    case.contact_phone_hash = on_whatsapp  # reported on WhatsApp: the erasure of its number's last case
    db.session.add(WhatsAppSession(contact_hash=on_whatsapp, last_inbound_at=clock.now - dt.timedelta(days=3)))
    queue_sms(PHONE, HELD, "status", case_id, WHATSAPP)
    db.session.commit()  # the citizen last wrote three days ago: the text is held
    sender = TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, http_client=RecordingHttpClient(),
                          whatsapp_from=WHATSAPP_FROM)
    locks: list[str] = []

    def before_the_second_lock(statement: str) -> bool:
        """The hold holds the first of its two locks (the session, the case) and is about to take the other."""
        if _locks_the_session_or_the_case(statement):
            locks.append(statement)
        return len(locks) == 2

    met = erase_beside(app, lambda: deliver_due_messages(sender, "worker-a"), before_the_second_lock)
    blocked, errors, held, run = met.blocked, met.sqlstates, met.result, met.run

    assert blocked == [True], "the erasure did not wait for the hold"
    assert "40P01" not in errors, "the erasure and the hold deadlocked"
    assert held.errors == [] and held.held == 1
    assert run is not None and (run.erased, run.failed) == (1, 0)
    db.session.expire_all()
    assert db.session.get_one(Case, case_id).erased
    left = db.session.scalar(select(func.count()).select_from(OutboundMessage)
                             .where(OutboundMessage.case_id == case_id))
    assert left == 0, "the held text or its template outlived the erasure"
