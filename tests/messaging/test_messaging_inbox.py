"""From Twilio's webhook to Twilio's REST API: texts kept in the inbox, answered by `civicwatch deliver`,
and a text that cannot be read set aside without holding up anyone else's."""
from __future__ import annotations

import secrets

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import Case
from civicwatch.crypto import encrypt_text, keyed_hash
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage, OutboxStatus, SmsOptOut
from civicwatch.phones import phone_hash
from civicwatch.sms.inbox import MAX_ATTEMPTS, SENDER_HASH_PURPOSE, process_inbox
from civicwatch.sms.models import ConversationState, InboxText, SmsConversation
from civicwatch.sms.replies import Reply, render_reply
from tests.conftest import csrf_token_from
from tests.messaging.conftest import PUBLIC_BASE_URL
from tests.messaging.recording_twilio import AUTH_TOKEN

PHONE = "+23276123456"
REPORT = "Police in Makeni have held my husband for nine days without charge and we cannot see him."


def post_text(client, body: str, phone: str = PHONE) -> None:
    params = {"MessageSid": "SM" + secrets.token_hex(16), "From": phone, "To": "+15005550006", "Body": body}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + "/sms/inbound", params)
    response = client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200 and response.get_data(as_text=True).endswith("<Response />")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_deliver_command_answers_the_texts_then_sends_the_replies(app, client, twilio_http):
    post_text(client, REPORT)
    post_text(client, "His name is Ibrahim, he is 34.")
    post_text(client, "HELP", phone="+23277654321")
    assert count(InboxText) == 3 and not twilio_http.requests  # nothing answered before the worker runs
    result = app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--once"])
    assert result.exit_code == 0, result.output
    assert "texts answered 3" in result.output and "sent 3" in result.output
    sent = {request.data["To"]: [] for request in twilio_http.accepted}
    for request in twilio_http.accepted:
        sent[request.data["To"]].append(request.data["Body"])
    first, second = sent[PHONE]
    assert first.startswith("CivicWatch: report CW-") and "receipt code" in first
    assert "added" in second
    assert sent["+23277654321"][0].startswith("CivicWatch: to report")
    assert count(InboxText) == 0 and count(Case) == 1


def test_a_text_that_cannot_be_read_is_set_aside_and_the_senders_next_text_is_answered(
        client, login_as, make_user):
    # A row whose payload no longer decrypts (say, written under another key), from the same sender.
    db.session.add(InboxText(message_sid="SM" + "0" * 32, sender_hash=keyed_hash(SENDER_HASH_PURPOSE, PHONE),
                             payload_encrypted=b"not a fernet token", attempts=0))
    db.session.commit()
    post_text(client, "HELP")
    first = process_inbox()
    assert first.failed == MAX_ATTEMPTS and first.set_aside == 1 and first.answered == 1
    db.session.expire_all()
    stuck = db.session.scalars(select(InboxText)).one()
    assert stuck.attempts == MAX_ATTEMPTS and stuck.last_error == "DecryptionError"
    assert process_inbox().answered == 0  # set aside: not tried again
    replies = db.session.scalars(select(OutboundMessage)).all()
    assert [reply.text for reply in replies][-1].startswith("CivicWatch: to report")
    login_as(make_user("admin"))
    page = client.get("/staff/outbox/").get_data(as_text=True)
    assert "0</strong> texts are waiting" in page and "<strong>1</strong> could not be read" in page
    # The admin gives it back to the worker (say, once the right key is configured again): audited.
    response = client.post("/staff/outbox/texts/retry", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalars(select(InboxText)).one().attempts == 0
    assert db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.seq.desc()).limit(1)) == "sms_inbox.retry"
    assert process_inbox().set_aside == 1  # still unreadable: set aside again, nothing lost


def test_only_admins_give_set_aside_texts_back(client, login_as, make_user):
    login_as(make_user("triage", body="police_oversight"))
    page = client.get("/staff/").get_data(as_text=True)
    response = client.post("/staff/outbox/texts/retry", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code in (403, 404)


@pytest.mark.parametrize("body, reply, opted_out", [
    ("and they took his phone", Reply.NOT_ACCEPTED, False),
    ("Stop", Reply.STOPPED, True),  # an opt-out is honoured even when the rest of the dialogue fails
])
def test_a_text_that_fails_after_it_was_read_is_answered_when_set_aside(client, clock, body, reply, opted_out):
    """The text decrypts, but the phone's conversation holds a kept fragment that no longer does: after
    MAX_ATTEMPTS the sender hears that the text was not taken (or that STOP was), nothing else is written."""
    db.session.add(SmsConversation(
        phone_hash=phone_hash(PHONE), phone_encrypted=encrypt_text(PHONE), state=ConversationState.AWAITING_DETAILS,
        pending_encrypted=b"not a fernet token", pending_since=clock.now, last_message_at=clock.now))
    db.session.commit()
    post_text(client, body)
    report = process_inbox()
    assert report.set_aside == 1 and report.answered == 0, report
    sent = db.session.scalars(select(OutboundMessage)).one()
    assert sent.text == render_reply(reply) and sent.status is OutboxStatus.PENDING
    assert (db.session.scalar(select(SmsOptOut.id)) is not None) is opted_out
    assert count(Case) == 0 and count(InboxText) == 1
