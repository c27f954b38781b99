"""The SMS worker answers a WhatsApp text (it locks the number's WhatsApp session, reopening it, then the number's
conversation) while the retention run erases the number's last case (it locks the conversation and the case, then
deletes the session). Both must take the two locks in one order: otherwise each waits for the other, and PostgreSQL
breaks the deadlock by failing one of them. The text is answered once and the case erased."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage, OutboxStatus, WhatsAppSession
from civicwatch.phones import WHATSAPP, contact_hash
from civicwatch.sms.inbox import TEXT_REPLY, process_inbox
from civicwatch.sms.models import InboxText
from tests.conftest import on_postgres
from tests.retention.erasure_beside import erase_beside
from tests.sms.conftest import PHONE, WHATSAPP_FROM, WHATSAPP_PHONE, acknowledged, new_sid, sign
from tests.sms.test_sms_erasure import close_until_due

REPORT = "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card."


def _locks_the_conversation(sql: str) -> bool:
    words = " ".join(sql.upper().split())
    return words.startswith("SELECT") and "FROM SMS_CONVERSATIONS" in words and "FOR UPDATE" in words


@pytest.mark.postgres_only
@pytest.mark.skipif(not on_postgres(), reason="row locks and deadlock detection are PostgreSQL's")
def test_a_whatsapp_text_answered_while_the_number_s_last_case_is_erased_does_not_deadlock(app, client, whatsapp,
                                                                                            clock):
    on_whatsapp = contact_hash(PHONE, WHATSAPP)
    whatsapp(REPORT)
    (case,) = db.session.scalars(select(Case)).all()
    case_id = case.id
    close_until_due(clock, case)  # the replies went: nothing is owed to the number, its session goes with the case
    params = {"MessageSid": new_sid(), "AccountSid": "AC" + "0" * 32, "From": WHATSAPP_PHONE, "To": WHATSAPP_FROM,
              "Body": "HELP", "NumMedia": "0"}
    acknowledged(client.post("/sms/inbound", data=params,
                             headers={"X-Twilio-Signature": sign("/sms/inbound", params)}))
    before = db.session.scalar(select(func.max(OutboundMessage.id)))
    db.session.commit()
    # The worker, the number's session locked and reopened, is about to lock its conversation.
    met = erase_beside(app, process_inbox, _locks_the_conversation)
    blocked, errors, report, run = met.blocked, met.sqlstates, met.result, met.run

    assert blocked == [True], "the erasure did not wait for the worker"
    assert "40P01" not in errors, "the erasure and the worker deadlocked"
    assert (report.answered, report.failed) == (1, 0)
    assert run is not None and (run.erased, run.failed) == (1, 0)
    db.session.expire_all()
    assert db.session.get_one(Case, case_id).erased
    assert db.session.scalar(select(func.count()).select_from(InboxText)) == 0
    (reply,) = db.session.scalars(select(OutboundMessage).where(OutboundMessage.id > before)).all()
    assert (reply.to_hash, reply.purpose, reply.status, reply.case_id) == (on_whatsapp, TEXT_REPLY,
                                                                          OutboxStatus.PENDING, None)
    assert reply.text.startswith("CivicWatch: to report"), reply.text
    # The reply is owed within the session the text reopened: the erasure keeps it, reopened at the text's arrival.
    session = db.session.scalar(select(WhatsAppSession).where(WhatsAppSession.contact_hash == on_whatsapp))
    assert session is not None and session.last_inbound_at == clock.now
