"""SMS fixtures: the webhook switched on with a known auth token, and texts signed as Twilio signs them."""
from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, func, select
from twilio.request_validator import RequestValidator

from civicwatch.extensions import db
from civicwatch.messaging.delivery import deliver_due_messages
from civicwatch.messaging.models import OutboundMessage
from civicwatch.messaging.operations import STOP_CONFIRMATION
from civicwatch.messaging.senders import TwilioSender, get_sender, set_sender
from civicwatch.phones import normalise_phone, phone_hash
from civicwatch.sms.inbox import TEXT_REPLY, InboxReport, process_inbox
from tests.messaging.recording_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, RecordingHttpClient

PUBLIC_BASE_URL = "https://civicwatch.example.org"
PHONE = "+23276123456"
OTHER_PHONE = "+23277654321"
WHATSAPP_PHONE = "whatsapp:" + PHONE
WHATSAPP_FROM = "whatsapp:+14155238886"


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config.update(TWILIO_AUTH_TOKEN=AUTH_TOKEN, PUBLIC_BASE_URL=PUBLIC_BASE_URL)
    return app_config


@pytest.fixture
def twilio_http(app) -> RecordingHttpClient:
    """Twilio's servers, recorded (files that script failures define their own)."""
    http = RecordingHttpClient()
    set_sender(app, TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER,
                                 status_callback=PUBLIC_BASE_URL + "/sms/status", http_client=http))
    return http


def deliver(app) -> None:
    deliver_due_messages(get_sender(app), "worker")


def texted(http: RecordingHttpClient) -> list[str]:
    return [request.data["Body"] for request in http.accepted]


def new_sid() -> str:
    return "SM" + secrets.token_hex(16)


def sign(path: str, params: dict[str, str], token: str = AUTH_TOKEN, base: str = PUBLIC_BASE_URL) -> str:
    return RequestValidator(token).compute_signature(base + path, params)


def reply_of(response) -> str | None:
    """The text of a TwiML reply (None for an empty <Response/>); fails unless it is valid TwiML."""
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


def acknowledged(response) -> None:
    """The webhook's answer: 200 and an empty TwiML response (the reply comes from the outbox)."""
    assert reply_of(response) is None


def answer_waiting_texts() -> InboxReport:
    """What the worker does: answer every text in the inbox. Fails if any text could not be answered."""
    report = process_inbox()
    assert report.failed == 0, report
    return report


def replies_since(outbox_id: int, phone: str = PHONE) -> list[OutboundMessage]:
    """Replies to texts owed to `phone` after outbox row `outbox_id`, oldest first."""
    return list(db.session.scalars(
        select(OutboundMessage)
        .where(OutboundMessage.id > outbox_id, OutboundMessage.to_hash == phone_hash(normalise_phone(phone)),
               OutboundMessage.purpose.in_((TEXT_REPLY, STOP_CONFIRMATION)))
        .order_by(OutboundMessage.id)
    ))


def last_outbox_id() -> int:
    return db.session.scalar(select(func.max(OutboundMessage.id))) or 0


@pytest.fixture
def text(send_text):
    """Send a signed text as Twilio would, let the worker answer it, and return the reply it owed the phone
    (None: no reply)."""

    def send(body: str, phone: str = PHONE, sid: str | None = None) -> str | None:
        before = last_outbox_id()
        acknowledged(send_text(body, phone, sid))
        answer_waiting_texts()
        replies = replies_since(before, phone)
        assert len(replies) <= 1, [reply.text for reply in replies]
        return replies[0].text if replies else None

    return send


@pytest.fixture
def whatsapp(client: FlaskClient):
    """POST a signed WhatsApp message to /sms/inbound as Twilio does, let the worker answer it, and return the
    messages it owed (outbox rows, oldest first)."""

    def send(body: str, sid: str | None = None, **extra: str) -> list[OutboundMessage]:
        before = last_outbox_id()
        params = {"MessageSid": sid or new_sid(), "AccountSid": ACCOUNT_SID, "From": WHATSAPP_PHONE,
                  "To": WHATSAPP_FROM, "Body": body, "NumMedia": "0", "ProfileName": "Aminata", **extra}
        acknowledged(client.post("/sms/inbound", data=params,
                                 headers={"X-Twilio-Signature": sign("/sms/inbound", params)}))
        answer_waiting_texts()
        return list(db.session.scalars(select(OutboundMessage).where(OutboundMessage.id > before)
                                       .order_by(OutboundMessage.id)))

    return send


def statements_during(action) -> tuple[list[str], object]:
    """The SQL statements `action` sends (whitespace folded to single spaces), and what it returns."""
    statements: list[str] = []
    listener = lambda conn, cursor, statement, *args: statements.append(" ".join(statement.split()))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        result = action()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return statements, result
