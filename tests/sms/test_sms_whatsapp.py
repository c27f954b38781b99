"""WhatsApp through Twilio: the same signed webhook and dialogue as SMS, told apart by Twilio's "whatsapp:" From.
The reply goes back on WhatsApp from the configured WhatsApp sender; opt-out and language belong to the number on
one channel; the case records that it came by WhatsApp; photos and files are refused with a clear reply."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from civicwatch.cases.models import Case, Channel
from civicwatch.cases.notifications import notify_complainant
from civicwatch.extensions import db
from civicwatch.messaging.delivery import deliver_due_messages
from civicwatch.messaging.models import OutboundMessage, OutboxStatus
from civicwatch.messaging.queries import is_opted_out
from civicwatch.messaging.senders import TwilioSender
from civicwatch.phones import WHATSAPP, contact_hash, phone_hash
from tests.messaging.recording_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, RecordingHttpClient
from tests.sms.conftest import PHONE, WHATSAPP_FROM, WHATSAPP_PHONE, new_sid, sign

REPORT = "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card."


@pytest.fixture
def twilio_http(app) -> RecordingHttpClient:
    return RecordingHttpClient()


def deliver(twilio_http: RecordingHttpClient) -> None:
    sender = TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, http_client=twilio_http, whatsapp_from=WHATSAPP_FROM)
    deliver_due_messages(sender, "test-worker")


def test_a_whatsapp_report_opens_a_whatsapp_case_and_the_reply_goes_back_on_whatsapp(whatsapp, twilio_http,
                                                                                    caplog):
    with caplog.at_level(logging.DEBUG):
        replies = whatsapp(REPORT)
        assert [reply.channel for reply in replies] == [WHATSAPP]
        assert replies[0].text.startswith("CivicWatch: report CW-")
        deliver(twilio_http)
    case = db.session.scalars(select(Case)).one()
    assert case.channel is Channel.WHATSAPP
    assert case.contact_phone_hash == contact_hash(PHONE, WHATSAPP) != phone_hash(PHONE)
    [sent] = twilio_http.accepted
    assert sent.data["From"] == WHATSAPP_FROM and sent.data["To"] == WHATSAPP_PHONE
    assert PHONE not in caplog.text and PHONE[1:] not in caplog.text  # never a number in the logs


def test_case_news_goes_back_on_whatsapp(whatsapp, twilio_http):
    whatsapp(REPORT)
    case = db.session.scalars(select(Case)).one()
    news = notify_complainant(case, "CivicWatch: your report is with the police oversight office.", "status")
    assert news is not None and news.channel == WHATSAPP
    deliver(twilio_http)
    assert {request.data["To"] for request in twilio_http.accepted} == {WHATSAPP_PHONE}


def test_a_retried_message_sid_makes_one_case_and_one_reply(whatsapp):
    sid = new_sid()
    first = whatsapp(REPORT, sid=sid)
    again = whatsapp(REPORT, sid=sid)
    assert len(first) == 1 and again == []
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1


def test_stop_on_whatsapp_leaves_the_numbers_sms_alone(whatsapp, text):
    # Each channel is its own consent: someone who mutes WhatsApp (a shared phone, say) may still want texts.
    [confirmation] = whatsapp("STOP")
    assert confirmation.channel == WHATSAPP and confirmation.status is OutboxStatus.PENDING
    assert is_opted_out(contact_hash(PHONE, WHATSAPP)) and not is_opted_out(phone_hash(PHONE))
    assert text("HELP").startswith("CivicWatch: to report")
    assert whatsapp("HELP") == []  # WhatsApp itself stays quiet until START
    [started] = whatsapp("START")
    assert started.channel == WHATSAPP and not is_opted_out(contact_hash(PHONE, WHATSAPP))


def test_lang_on_whatsapp_is_remembered_for_whatsapp_only(whatsapp, text):
    [answer] = whatsapp("LANG FR")
    assert answer.text.startswith("CivicWatch :")
    assert whatsapp("HELP")[0].text.startswith("CivicWatch :")
    assert text("HELP").startswith("CivicWatch: to report")


def test_a_photo_without_words_is_refused_with_a_clear_reply(whatsapp):
    media = {"NumMedia": "1", "MediaUrl0": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/"
             "MM0123/Media/ME0123", "MediaContentType0": "image/jpeg"}
    [reply] = whatsapp("", **media)
    assert "cannot take photos" in reply.text
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0
    [with_words] = whatsapp(REPORT, **media)
    assert with_words.text.startswith("CivicWatch: report CW-") and with_words.text.endswith(
        "Your photo or file was not kept: we take only words here.")


def test_a_forged_whatsapp_message_is_refused(client):
    params = {"MessageSid": new_sid(), "From": WHATSAPP_PHONE, "To": WHATSAPP_FROM, "Body": REPORT, "NumMedia": "0"}
    forged = sign("/sms/inbound", params, token="0" * 32)
    assert client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": forged}).status_code == 403
    signed = sign("/sms/inbound", params)
    tampered = {**params, "From": "whatsapp:+23277654321"}  # signed for another sender
    assert client.post("/sms/inbound", data=tampered, headers={"X-Twilio-Signature": signed}).status_code == 403


def test_a_bad_media_count_is_a_400(client):
    params = {"MessageSid": new_sid(), "From": WHATSAPP_PHONE, "Body": "hi", "NumMedia": "lots"}
    response = client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": sign("/sms/inbound", params)})
    assert response.status_code == 400


def test_without_a_whatsapp_sender_the_reply_fails_without_a_retry(whatsapp, twilio_http):
    whatsapp(REPORT)
    deliver_due_messages(TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, http_client=twilio_http), "test-worker")
    assert twilio_http.requests == []
    message = db.session.scalars(select(OutboundMessage)).one()
    assert message.status is OutboxStatus.FAILED and "TWILIO_WHATSAPP_NUMBER" in (message.last_error or "")


def test_the_case_page_and_the_dashboard_name_the_channel(whatsapp, make_user, login_as, client):
    whatsapp(REPORT)
    case = db.session.scalars(select(Case)).one()
    login_as(make_user())
    assert "by WhatsApp" in client.get(f"/staff/cases/{case.id}").get_data(as_text=True)
    assert "1 by WhatsApp" in client.get("/staff/").get_data(as_text=True)


def test_whatsapp_keeps_the_accents_an_sms_drops_to_cost_one_text(whatsapp, text):
    """An SMS drops an accent outside GSM-7 when that saves texts (one "ç" would make it UCS-2, at 70 characters a
    text); WhatsApp has no segments, so its texts are sent as written. Replies and case news alike."""
    [on_whatsapp] = whatsapp("LANG FR")
    by_sms = text("LANG FR")
    assert "en français." in on_whatsapp.text
    assert "en francais." in by_sms
    whatsapp(REPORT)
    case = db.session.scalars(select(Case)).one()
    news = notify_complainant(case, "CivicWatch : le dossier est reçu, merci.", "status")
    assert news is not None and news.text == "CivicWatch : le dossier est reçu, merci."
