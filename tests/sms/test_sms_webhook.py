"""POST /sms/inbound and /sms/status: Twilio's signature, idempotency on MessageSid, TwiML."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from civicwatch.sms.models import InboundSms
from tests.sms.conftest import PHONE, PUBLIC_BASE_URL, new_sid, reply_of, sign

REPORT = "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card."


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def params_for(body: str, sid: str | None = None) -> dict[str, str]:
    return {"MessageSid": sid or new_sid(), "From": PHONE, "To": "+15005550006", "Body": body}


def test_a_signed_text_is_answered_with_twiml(text):
    reply = text(REPORT)
    assert reply.startswith("CivicWatch: report CW-")
    assert count(Case) == 1


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl", None])
def test_missing_or_forged_signatures_are_refused_and_logged_without_the_body(client, caplog, signature):
    params = params_for(REPORT)
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    with caplog.at_level(logging.WARNING):
        response = client.post("/sms/inbound", data=params, headers=headers)
    assert response.status_code == 403
    assert count(InboundSms) == 0 and count(Case) == 0
    logged = caplog.text
    assert "refused" in logged
    assert "Kenema" not in logged and PHONE not in logged and PHONE[1:] not in logged


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
    assert reply_of(response).startswith("CivicWatch: report")


def test_query_strings_are_part_of_the_signed_url(client):
    params = params_for("HELP")
    signature = sign("/sms/inbound?region=west", params)
    response = client.post("/sms/inbound?region=west", data=params, headers={"X-Twilio-Signature": signature})
    assert reply_of(response).startswith("CivicWatch: to report")


def test_a_retried_message_sid_gets_the_same_reply_and_makes_nothing_new(text):
    sid = new_sid()
    first = text(REPORT, sid=sid)
    again = text(REPORT, sid=sid)
    assert first == again and "receipt code" in first
    assert count(Case) == 1 and count(InboundSms) == 1


def test_the_stored_reply_is_encrypted(text):
    reply = text(REPORT)
    stored = db.session.scalars(select(InboundSms)).one()
    code = reply.split("receipt code is ")[1][:19]
    assert code.encode() not in stored.reply_encrypted
    assert b"Kenema" not in stored.body_encrypted


def test_a_sender_that_is_not_a_phone_number_gets_an_empty_response(client):
    params = {"MessageSid": new_sid(), "From": "CIVICWATCH", "Body": REPORT}
    response = client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": sign("/sms/inbound", params)})
    assert reply_of(response) is None
    assert count(Case) == 0


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
