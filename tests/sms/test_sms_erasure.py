"""An erased SMS case takes its number's texts with it: the first words it kept before the case opened, the replies
to the number, and the number's dialogue once it no longer names the case."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from civicwatch.cases.models import Case, CaseStatus
from civicwatch.crypto import decrypt_text
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.messaging.delivery import deliver_due_messages
from civicwatch.messaging.models import OutboundMessage
from civicwatch.messaging.senders import TwilioSender
from civicwatch.phones import phone_hash
from civicwatch.sms.models import InboundSms, SmsConversation
from tests.messaging.recording_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, RecordingHttpClient
from tests.retention.conftest import run_cli, schedule
from tests.sms.conftest import PHONE


def close_and_erase(app, clock, case: Case) -> None:
    """Once the replies went out (a text still owed to the number stays), close the case and erase it."""
    sender = TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, http_client=RecordingHttpClient())
    assert deliver_due_messages(sender, "worker").sent >= 1
    case.status, case.closed_at = CaseStatus.CLOSED, utcnow()
    db.session.commit()
    schedule(CaseStatus.CLOSED, 6)
    clock.now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    code, output = run_cli(app, "retention", "apply")
    assert code == 0 and "1 case" in output, output
    assert db.session.get(Case, case.id).text == ""


def the_number_s_texts() -> tuple[list[str], list[tuple]]:
    texts_in = [decrypt_text(row.body_encrypted) for row in
                db.session.scalars(select(InboundSms).where(InboundSms.phone_hash == phone_hash(PHONE)))]
    texts_out = [(row.case_id, row.purpose) for row in
                 db.session.scalars(select(OutboundMessage).where(OutboundMessage.to_hash == phone_hash(PHONE)))]
    return texts_in, texts_out


def test_erasing_an_sms_case_removes_the_first_words_texted_before_it_opened(app, text, clock):
    text("police beat me")  # short: kept, and the sender is asked for details
    clock.advance(minutes=5)
    text("at the market in Bo on Monday morning when I was selling my goods and they took my money")
    (case,) = db.session.scalars(select(Case)).all()
    assert case.text.startswith("police beat me")
    assert any(case_id is None for case_id, _ in the_number_s_texts()[1])  # the reply asking for details
    close_and_erase(app, clock, case)
    assert the_number_s_texts() == ([], [])


def test_erasing_an_sms_case_removes_the_number_s_dialogue_once_its_window_closed(app, text, clock):
    text("Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card.")
    (case,) = db.session.scalars(select(Case)).all()
    clock.advance(hours=3)
    text("HELP")  # after the follow-up window: the dialogue is idle and no longer names the case
    close_and_erase(app, clock, case)
    assert db.session.scalars(select(SmsConversation).where(
        SmsConversation.phone_hash == phone_hash(PHONE))).all() == []
