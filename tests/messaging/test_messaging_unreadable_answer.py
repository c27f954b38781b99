"""Twilio (or something between it and us) answers a send with a success status whose body cannot be read: the
text has most likely gone, so it is not sent again at every claim timeout for ever. Twilio is mocked only at its
HTTP boundary."""
from __future__ import annotations

from twilio.http.response import Response

from civicwatch.extensions import db
from civicwatch.messaging.delivery import deliver_due_messages
from civicwatch.messaging.models import OutboundMessage, OutboxStatus
from civicwatch.messaging.operations import queue_sms
from civicwatch.messaging.senders import TwilioSender
from tests.messaging.recording_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, RecordingHttpClient
from tests.sms.conftest import PHONE

NEWS = "CivicWatch CW-2026-000042: the police council has received your complaint."


class UnreadableAnswers(RecordingHttpClient):
    """Twilio takes each message, and the answer arrives as an HTML page (a proxy on the way rewrote it)."""

    def request(self, method, uri, **kwargs):
        super().request(method, uri, **kwargs)
        return Response(201, "<html><body>Request accepted</body></html>")


def test_a_send_answered_with_an_unreadable_success_is_not_sent_again(app, clock):
    http = UnreadableAnswers()
    sender = TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, http_client=http)
    message_id = queue_sms(PHONE, NEWS, "status").id
    db.session.commit()
    for _ in range(12):  # an hour of worker rounds, each past the claim timeout
        deliver_due_messages(sender, "worker-1")
        clock.advance(minutes=6)
    assert len(http.requests) == 1, [request.outcome for request in http.requests]
    message = db.session.get(OutboundMessage, message_id, populate_existing=True)
    assert message.status is OutboxStatus.FAILED and message.attempts == 1
    assert message.last_error is not None and "may have been sent" in message.last_error
    assert PHONE not in message.last_error
