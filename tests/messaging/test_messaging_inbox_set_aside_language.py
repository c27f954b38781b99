"""A text set aside after MAX_ATTEMPTS is answered ("try again", or the STOP confirmation) in the language the
phone chose with LANG, like every other reply: a French or Krio phone must not get English at that moment."""
from __future__ import annotations

import secrets

import pytest
from flask_babel import force_locale
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage
from civicwatch.messaging.segments import prefer_gsm7
from civicwatch.phones import phone_hash
from civicwatch.sms.inbox import process_inbox
from civicwatch.sms.models import ConversationState, SmsConversation
from civicwatch.sms.replies import Reply, render_reply
from tests.messaging.conftest import PUBLIC_BASE_URL
from tests.messaging.recording_twilio import AUTH_TOKEN

PHONE = "+23276123456"


def post_text(client, body: str) -> None:
    params = {"MessageSid": "SM" + secrets.token_hex(16), "From": PHONE, "To": "+15005550006", "Body": body}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + "/sms/inbound", params)
    response = client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200


@pytest.mark.parametrize("language, command", [("fr", "LANG FR"), ("kri", "LANG KRIO")])
@pytest.mark.parametrize("body, reply", [
    ("et ils ont pris son telephone", Reply.NOT_ACCEPTED),
    ("STOP", Reply.STOPPED),
])
def test_a_set_aside_text_is_answered_in_the_phones_language(client, clock, language, command, body, reply):
    post_text(client, command)
    assert process_inbox().answered == 1
    # The phone's kept fragment no longer decrypts: its next text fails every attempt and is set aside.
    conversation = db.session.scalars(
        select(SmsConversation).where(SmsConversation.phone_hash == phone_hash(PHONE))).one()
    conversation.state = ConversationState.AWAITING_DETAILS
    conversation.pending_encrypted = b"not a fernet token"
    conversation.pending_since = conversation.last_message_at = clock.now
    db.session.commit()
    post_text(client, body)
    assert process_inbox().set_aside == 1
    last = db.session.scalars(select(OutboundMessage).order_by(OutboundMessage.id.desc()).limit(1)).one()
    with force_locale(language):
        expected = prefer_gsm7(render_reply(reply))
    assert last.text == expected
