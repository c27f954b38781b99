"""SMS fixtures: the webhook switched on with a known auth token, and texts signed as Twilio signs them."""
from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET

import pytest
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator

from tests.messaging.recording_twilio import AUTH_TOKEN

PUBLIC_BASE_URL = "https://civicwatch.example.org"
PHONE = "+23276123456"
OTHER_PHONE = "+23277654321"


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config.update(TWILIO_AUTH_TOKEN=AUTH_TOKEN, PUBLIC_BASE_URL=PUBLIC_BASE_URL)
    return app_config


def new_sid() -> str:
    return "SM" + secrets.token_hex(16)


def sign(path: str, params: dict[str, str], token: str = AUTH_TOKEN, base: str = PUBLIC_BASE_URL) -> str:
    return RequestValidator(token).compute_signature(base + path, params)


def reply_of(response) -> str | None:
    """The text of the TwiML reply (None for an empty <Response/>); fails unless it is valid TwiML."""
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/xml"
    root = ET.fromstring(response.get_data())
    assert root.tag == "Response"
    messages = root.findall("Message")
    assert len(messages) <= 1 and len(root) == len(messages)
    return messages[0].text if messages else None


@pytest.fixture
def send_text(client: FlaskClient):
    """POST a signed inbound text to /sms/inbound; returns the response."""
    def send(body: str, phone: str = PHONE, sid: str | None = None, **extra: str):
        params = {"MessageSid": sid or new_sid(), "AccountSid": "AC" + "0" * 32, "From": phone,
                  "To": "+15005550006", "Body": body, "NumMedia": "0", **extra}
        return client.post("/sms/inbound", data=params,
                           headers={"X-Twilio-Signature": sign("/sms/inbound", params)})

    return send


@pytest.fixture
def text(send_text):
    """Send a signed text and return only the reply text."""

    def send(body: str, phone: str = PHONE, sid: str | None = None) -> str | None:
        return reply_of(send_text(body, phone, sid))

    return send
