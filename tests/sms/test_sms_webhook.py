"""POST /sms/inbound and /sms/status: Twilio's signature, idempotency on MessageSid, TwiML, the inbox."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from civicwatch.cases.models import Case
from civicwatch.crypto import keyed_hash
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage, OutboxStatus
from civicwatch.sms.inbox import SENDER_HASH_PURPOSE
from civicwatch.sms.models import InboundSms, InboxText
from tests.sms.conftest import (
    PHONE,
    PUBLIC_BASE_URL,
    acknowledged,
    answer_waiting_texts,
    new_sid,
    replies_since,
    sign,
)

REPORT = "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card."


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def params_for(body: str, sid: str | None = None) -> dict[str, str]:
    return {"MessageSid": sid or new_sid(), "From": PHONE, "To": "+15005550006", "Body": body}


def test_a_signed_text_is_kept_acknowledged_and_then_answered_through_the_outbox(send_text):
    response = send_text(REPORT)
    acknowledged(response)
    assert count(InboxText) == 1 and count(Case) == 0  # durable before Twilio hears back; nothing else yet
    answer_waiting_texts()
    reply = replies_since(0)[0]
    assert reply.text.startswith("CivicWatch: report CW-") and reply.status is OutboxStatus.PENDING
    assert count(Case) == 1 and count(InboxText) == 0


def test_the_kept_text_is_encrypted(send_text):
    acknowledged(send_text(REPORT))
    stored = db.session.scalars(select(InboxText)).one()
    assert b"Kenema" not in stored.payload_encrypted and PHONE.encode() not in stored.payload_encrypted
    assert stored.sender_hash == keyed_hash(SENDER_HASH_PURPOSE, PHONE)  # keyed: not the number itself


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl", None, "é", "\u00ff" * 28])
def test_missing_or_forged_signatures_are_refused_and_logged_without_the_body(client, caplog, signature):
    params = params_for(REPORT)
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    with caplog.at_level(logging.WARNING):
        response = client.post("/sms/inbound", data=params, headers=headers,
                               environ_base={"REMOTE_ADDR": "198.51.100.23"})
    assert response.status_code == 403
    assert count(InboxText) == 0 and count(InboundSms) == 0 and count(Case) == 0
    logged = caplog.text
    assert "refused" in logged
    assert "Kenema" not in logged and PHONE not in logged and PHONE[1:] not in logged
    assert "198.51.100.23" not in logged  # nor the address: a keyed hash of it


def test_a_signature_for_other_parameters_is_refused(client):
    params = params_for(REPORT)
    signature = sign("/sms/inbound", params)
    params["Body"] = "Something else entirely, written by someone who is not Twilio at all."
    assert client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": signature}).status_code == 403


def test_a_signature_made_with_another_token_is_refused(client):
    params = params_for(REPORT)
    signature = sign("/sms/inbound", params, token="another-token")
    assert client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": signature}).status_code == 403


def test_the_signature_covers_the_public_url_not_the_one_the_app_sees(client):
    """Behind a proxy the app is reached as http://localhost; Twilio signed the public https URL."""
    params = params_for(REPORT)
    internal = sign("/sms/inbound", params, base="http://localhost")
    assert client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": internal}).status_code == 403
    public = sign("/sms/inbound", params, base=PUBLIC_BASE_URL)
    response = client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": public},
                           base_url="http://10.0.0.7:8000")
    acknowledged(response)
    assert count(InboxText) == 1


def test_query_strings_are_part_of_the_signed_url(client):
    params = params_for("HELP")
    signature = sign("/sms/inbound?region=west", params)
    response = client.post("/sms/inbound?region=west", data=params, headers={"X-Twilio-Signature": signature})
    acknowledged(response)
    assert count(InboxText) == 1


def test_a_retried_message_sid_is_answered_once_and_makes_nothing_new(send_text):
    sid = new_sid()
    acknowledged(send_text(REPORT, sid=sid))
    acknowledged(send_text(REPORT, sid=sid))  # Twilio retries before the worker got to it
    assert count(InboxText) == 1
    answer_waiting_texts()
    acknowledged(send_text(REPORT, sid=sid))  # and again after
    answer_waiting_texts()
    assert len(replies_since(0)) == 1
    assert count(Case) == 1 and count(InboundSms) == 1 and count(InboxText) == 0


def test_the_stored_reply_and_the_outbox_copy_are_encrypted(text):
    reply = text(REPORT)
    stored = db.session.scalars(select(InboundSms)).one()
    code = reply.split("receipt code is ")[1][:19]
    assert code.encode() not in stored.reply_encrypted
    assert b"Kenema" not in stored.body_encrypted
    outbox = db.session.scalars(select(OutboundMessage)).one()
    assert outbox.body is None and code.encode() not in outbox.body_encrypted


def test_a_sender_that_is_not_a_phone_number_gets_no_answer(client):
    params = {"MessageSid": new_sid(), "From": "CIVICWATCH", "Body": REPORT}
    response = client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": sign("/sms/inbound", params)})
    acknowledged(response)
    answer_waiting_texts()
    assert count(Case) == 0 and count(OutboundMessage) == 0 and count(InboxText) == 0


def test_a_request_without_message_sid_is_a_bad_request(client):
    params = {"From": PHONE, "Body": REPORT}
    response = client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": sign("/sms/inbound", params)})
    assert response.status_code == 400


def test_webhooks_need_no_csrf_token_but_the_simulator_does(client):
    assert client.post("/sms/simulator", data={"phone": PHONE}).status_code == 400


class TestWithoutAuthToken:
    @pytest.fixture
    def app_config(self, app_config):
        app_config["TWILIO_AUTH_TOKEN"] = None
        return app_config

    @pytest.mark.parametrize("path", ["/sms/inbound", "/sms/status"])
    def test_the_webhooks_do_not_exist(self, client, path):
        params = params_for(REPORT)
        response = client.post(path, data=params, headers={"X-Twilio-Signature": sign(path, params)})
        assert response.status_code == 404
        assert count(Case) == 0
