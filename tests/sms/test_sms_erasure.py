"""An erased SMS case takes its number's texts with it: the first words it kept before the case opened, the replies
to the number, and the number's dialogue once it no longer names the case; the last case of a number also takes the
language it chose with LANG and, on WhatsApp, its session (when it last wrote). Its opt-out stays."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Case, CaseStatus
from civicwatch.crypto import decrypt_text
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.messaging.delivery import deliver_due_messages
from civicwatch.messaging.models import OutboundMessage, OutboxStatus, PhoneLanguage, SmsOptOut, WhatsAppSession
from civicwatch.messaging.senders import TwilioSender
from civicwatch.phones import WHATSAPP, contact_hash, phone_hash
from civicwatch.sms.models import InboundSms, SmsConversation
from tests.messaging.recording_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, RecordingHttpClient
from tests.retention.conftest import add_user, hold, run_cli, schedule
from tests.sms.conftest import PHONE, WHATSAPP_FROM


def deliver_replies() -> int:
    """The delivery worker's run, over SMS and WhatsApp; how many went."""
    sender = TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, http_client=RecordingHttpClient(),
                          whatsapp_from=WHATSAPP_FROM)
    return deliver_due_messages(sender, "worker").sent


def close_until_due(clock, case: Case) -> None:
    """Once the replies went out (a text still owed to the number stays), close the case and move the clock on
    until it falls due for erasure."""
    assert deliver_replies() >= 1
    case.status, case.closed_at = CaseStatus.CLOSED, utcnow()
    db.session.commit()
    schedule(CaseStatus.CLOSED, 6)
    clock.now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


def erase_due_case(app) -> None:
    code, output = run_cli(app, "retention", "apply")
    assert code == 0 and "1 case" in output, output


def close_and_erase(app, clock, case: Case) -> None:
    close_until_due(clock, case)
    erase_due_case(app)
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


def test_erasing_a_case_leaves_the_first_words_of_another_case_of_the_number_under_a_legal_hold(app, text, clock):
    """Two reports from one number, each begun with a short text kept until the details came: that first text
    names no case. The first report is under a legal hold; erasing the second must leave the held case's texts."""
    text("police beat me")
    clock.advance(minutes=5)
    text("at the market in Bo on Monday morning when I was selling my goods and they took my money")
    clock.advance(hours=3)  # the follow-up window closed: the next report is a case of its own
    text("soldiers took my son")
    clock.advance(minutes=5)
    text("at the Kenema checkpoint on Friday night, they said he had no ID card and drove him away")
    held, erased = db.session.scalars(select(Case).order_by(Case.id)).all()
    assert held.text.startswith("police beat me") and erased.text.startswith("soldiers took my son")
    deliver_replies()
    for case in (held, erased):
        case.status, case.closed_at = CaseStatus.CLOSED, utcnow()
    admin = add_user("admin", Role.ADMIN)
    hold(held, admin)
    schedule(CaseStatus.CLOSED, 6)
    clock.now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    erase_due_case(app)
    assert db.session.get(Case, erased.id).text == "" and db.session.get(Case, held.id).text.startswith("police")
    assert "police beat me" in the_number_s_texts()[0]


def test_a_report_being_texted_when_the_number_s_old_case_is_erased_keeps_its_first_words(app, text, clock):
    """The number's old case falls due while the same number is writing a new report: its first short text,
    kept until the details come, belongs to the new report and must not go with the old case."""
    text("Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card.")
    (old,) = db.session.scalars(select(Case)).all()
    close_until_due(clock, old)
    text("police beat me again")  # short: kept, the details are asked for
    erase_due_case(app)
    clock.advance(minutes=5)
    text("at the market in Bo this morning when I was selling my goods and they took my money")
    new = db.session.scalars(select(Case).where(Case.id != old.id)).one()
    assert new.text.startswith("police beat me again"), new.text


def language_of(number_hash: str) -> str | None:
    """What anyone holding the hashing key and the database reads of a number's language choice."""
    return db.session.scalar(select(PhoneLanguage.language).where(PhoneLanguage.phone_hash == number_hash))


def session_of(number_hash: str) -> WhatsAppSession | None:
    return db.session.scalar(select(WhatsAppSession).where(WhatsAppSession.contact_hash == number_hash))


def test_erasing_a_number_s_last_case_removes_the_language_it_chose(app, text, clock):
    text("LANG FR")
    text("Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card.")
    text("STOP")
    (case,) = db.session.scalars(select(Case)).all()
    assert language_of(phone_hash(PHONE)) == "fr"
    close_and_erase(app, clock, case)
    assert language_of(phone_hash(PHONE)) is None
    # The opt-out is owed to the number: it stays.
    assert db.session.scalar(select(SmsOptOut.phone_hash)) == phone_hash(PHONE)


def test_the_number_s_language_stays_while_another_of_its_cases_is_not_erased(app, text, clock):
    text("LANG FR")
    text("Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card.")
    clock.advance(hours=3)  # the follow-up window closed: the next report is a case of its own
    text("At the market in Bo on Monday morning the police took my money when I was selling my goods there.")
    erased, kept = db.session.scalars(select(Case).order_by(Case.id)).all()
    close_and_erase(app, clock, erased)  # only the closed one falls due
    assert db.session.get(Case, kept.id).text.startswith("At the market")
    assert language_of(phone_hash(PHONE)) == "fr"


def test_the_number_s_language_stays_while_it_texts_a_new_report_as_its_last_case_is_erased(app, text, clock):
    text("LANG FR")
    text("Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card.")
    (old,) = db.session.scalars(select(Case)).all()
    close_until_due(clock, old)
    text("police beat me again")  # short: kept, the details are asked for
    erase_due_case(app)
    assert language_of(phone_hash(PHONE)) == "fr"
    clock.advance(minutes=5)
    receipt = text("at the market in Bo this morning when I was selling my goods and they took my money")
    assert receipt is not None and receipt.startswith("CivicWatch : signalement CW-"), receipt


def test_erasing_a_whatsapp_identity_s_last_case_removes_its_session_and_language(app, whatsapp, text, clock):
    """WhatsApp is an identity of its own (its own keyed hash, on the case as on the session): its last case takes
    its session and language; the same number's SMS identity, with a case of its own not erased, keeps its own."""
    on_whatsapp = contact_hash(PHONE, WHATSAPP)
    whatsapp("LANG FR")
    whatsapp("Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card.")
    text("LANG KRIO")
    text("At the market in Bo on Monday morning the police took my money when I was selling my goods there.")
    by_whatsapp, by_sms = db.session.scalars(select(Case).order_by(Case.id)).all()
    assert by_whatsapp.contact_phone_hash == on_whatsapp and by_sms.contact_phone_hash == phone_hash(PHONE)
    assert session_of(on_whatsapp) is not None and language_of(on_whatsapp) == "fr"
    close_and_erase(app, clock, by_whatsapp)
    assert session_of(on_whatsapp) is None and language_of(on_whatsapp) is None
    assert language_of(phone_hash(PHONE)) == "kri"


def test_a_whatsapp_identity_owed_a_reply_keeps_its_session_as_its_last_case_is_erased(app, whatsapp, clock):
    """A reply still waiting to go is sent within the session the citizen opened by writing: erasing the session
    under it would hold the reply back and send the template asking them to write again."""
    on_whatsapp = contact_hash(PHONE, WHATSAPP)
    whatsapp("LANG FR")
    whatsapp("Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card.")
    (case,) = db.session.scalars(select(Case)).all()
    close_until_due(clock, case)
    (owed,) = whatsapp("HELP")
    erase_due_case(app)
    assert session_of(on_whatsapp) is not None and language_of(on_whatsapp) == "fr"
    assert deliver_replies() == 1
    sent = db.session.get(OutboundMessage, owed.id)
    assert sent.status == OutboxStatus.SENT and sent.held_since is None
