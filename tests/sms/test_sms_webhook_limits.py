"""Anyone can POST to Twilio's webhooks: the body is bounded before it is parsed or signed.

The attack: megabytes of form fields with a made-up signature. Before the bound, every field was parsed and
then sorted and joined into the signed string up to three times before the request was refused (72 s of CPU
for tens of megabytes); now the body is refused unread (413), and the fields of a small one are signed once.
"""
from __future__ import annotations

import io
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from civicwatch.extensions import db
from civicwatch.sms import signatures
from civicwatch.sms.models import InboxText
from tests.sms.conftest import PHONE, acknowledged, new_sid, sign

URLENCODED = "application/x-www-form-urlencoded"
FORGED = {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJlIGF0IGFsbA=="}
WEBHOOKS = ("/sms/inbound", "/sms/status")


def db_count() -> int:
    return db.session.scalar(select(func.count()).select_from(InboxText))


def flood(fields: int) -> bytes:
    """`fields` short fields (4 bytes each), the MessageSid first so that it looks like Twilio's."""
    return f"MessageSid={new_sid()}&From=%2B23276123456&".encode() + b"a=1&" * fields


@pytest.mark.parametrize("path", WEBHOOKS)
def test_a_large_unsigned_body_is_refused_unread(client, path):
    response = client.post(path, data=flood(500_000), content_type=URLENCODED, headers=FORGED)  # 2 MB
    assert response.status_code == 413
    assert db_count() == 0


@pytest.mark.parametrize("path", WEBHOOKS)
def test_a_large_chunked_body_is_cut_off_at_the_bound(client, path):
    """No Content-Length to check first: reading stops once the body passes the bound."""
    response = client.post(path, input_stream=io.BytesIO(flood(500_000)), content_type=URLENCODED,
                           headers=FORGED, environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413
    assert db_count() == 0


@pytest.mark.parametrize("path", WEBHOOKS)
def test_too_many_fields_are_refused_before_they_are_parsed(client, path):
    body = flood(200)  # 1 KB, far below the byte bound
    assert len(body) < 2048
    response = client.post(path, data=body, content_type=URLENCODED, headers=FORGED)
    assert response.status_code == 413
    assert db_count() == 0


def test_a_signed_text_with_the_most_fields_allowed_is_kept(client):
    params = {"MessageSid": new_sid(), "From": PHONE, "Body": "HELP",
              **{f"Extra{n}": "x" for n in range(97)}}  # 100 fields
    response = client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": sign("/sms/inbound", params)})
    acknowledged(response)
    params = {**params, "MessageSid": new_sid(), "Extra97": "x"}  # 101 fields, correctly signed
    response = client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": sign("/sms/inbound", params)})
    assert response.status_code == 413
    assert db_count() == 1


def test_the_longest_text_twilio_sends_in_any_script_is_kept(client):
    """1,600 characters of Devanagari are 14,400 bytes once percent-encoded: well inside the bound."""
    params = {"MessageSid": new_sid(), "AccountSid": "AC" + "0" * 32, "From": PHONE, "To": "+15005550006",
              "Body": "पुलिस" * 320, "NumMedia": "10", "NumSegments": "10",
              **{f"MediaUrl{n}": f"https://api.twilio.com/2010-04-01/Accounts/AC{'0' * 32}/Messages/"
                                f"MM{'0' * 32}/Media/ME{'0' * 32}" for n in range(10)},
              **{f"MediaContentType{n}": "image/jpeg" for n in range(10)}}
    assert len(urlencode(params)) > 14_000
    response = client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": sign("/sms/inbound", params)})
    acknowledged(response)
    assert db_count() == 1


def test_the_fields_are_signed_once_even_when_the_signature_is_wrong(client, monkeypatch):
    calls = []
    real = signatures.signed_fields
    monkeypatch.setattr(signatures, "signed_fields", lambda form: calls.append(1) or real(form))
    params = {"MessageSid": new_sid(), "From": PHONE, "Body": "HELP"}
    assert client.post("/sms/inbound", data=params, headers=FORGED).status_code == 403
    assert len(calls) == 1


@pytest.mark.parametrize("signed_url", ["https://civicwatch.example.org:443/sms/inbound",
                                        "https://civicwatch.example.org/sms/inbound"])
def test_twilio_may_sign_the_url_with_or_without_the_default_port(client, signed_url):
    params = {"MessageSid": new_sid(), "From": PHONE, "Body": "HELP"}
    signature = sign("", params, base=signed_url)
    acknowledged(client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": signature}))


@pytest.mark.parametrize("fields", [500_000, 2_000])
def test_other_forms_are_bounded_too(client, fields):
    """The same floods against a page with a CSRF token, refused before the token is looked for: 2 MB
    (MAX_FORM_MEMORY_SIZE is 500 KB) and 8 KB in 2,000 fields (MAX_FORM_PARTS is 1,000)."""
    response = client.post("/track", data=flood(fields), content_type=URLENCODED)
    assert response.status_code == 413
