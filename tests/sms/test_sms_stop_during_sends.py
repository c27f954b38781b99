"""A STOP stored while a worker is part-way through a batch of sends: nothing more goes to that number, and odd
digits in Twilio's fields are refused, not a 500."""
from __future__ import annotations

from sqlalchemy import func, select

from civicwatch.extensions import db
from civicwatch.messaging.delivery import deliver_due_messages
from civicwatch.messaging.models import OutboxStatus, SmsOptOut
from civicwatch.messaging.operations import queue_sms
from civicwatch.messaging.senders import TwilioSender, get_sender, set_sender
from civicwatch.phones import phone_hash
from civicwatch.sms.inbox import process_inbox
from civicwatch.sms.models import InboxText
from tests.messaging.recording_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, RecordingHttpClient
from tests.sms.conftest import OTHER_PHONE, PHONE, PUBLIC_BASE_URL, new_sid, sign


class StopDuringFirstSend(RecordingHttpClient):
    """While Twilio takes the batch's first message, the second number's STOP reaches the webhook and another
    worker answers it."""

    def __init__(self, app, client) -> None:
        super().__init__()
        self.app, self.client, self.done = app, client, False

    def request(self, method, uri, **kwargs):
        if not self.done:
            self.done = True
            params = {"MessageSid": new_sid(), "From": OTHER_PHONE, "To": FROM_NUMBER, "Body": "STOP",
                      "NumMedia": "0"}
            response = self.client.post("/sms/inbound", data=params,
                                        headers={"X-Twilio-Signature": sign("/sms/inbound", params)})
            assert response.status_code == 200
            with self.app.app_context():  # another worker: a session of its own
                assert process_inbox().answered == 1
                assert db.session.query(SmsOptOut).filter_by(phone_hash=phone_hash(OTHER_PHONE)).count() == 1
        return super().request(method, uri, **kwargs)


def test_a_stop_stored_during_the_batch_is_honoured_before_the_next_send(app, client, clock):
    # The STOP comes while the first send is in flight, before the second starts: one send at a time (with several in
    # flight, test_messaging_sends_in_flight.py holds the same for the sends not started).
    app.config["OUTBOX_SEND_CONCURRENCY"] = 1
    http = StopDuringFirstSend(app, client)
    set_sender(app, TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER,
                                 status_callback=PUBLIC_BASE_URL + "/sms/status", http_client=http))
    queue_sms(PHONE, "CivicWatch: your report CW-2026-000001 was sent to the police council.", "status")
    news = queue_sms(OTHER_PHONE, "CivicWatch: your report CW-2026-000002 was sent to the police council.",
                     "status")
    db.session.commit()
    deliver_due_messages(get_sender(app), "worker")
    to_other = [request.data["Body"] for request in http.accepted if request.data["To"] == OTHER_PHONE]
    assert not any("CW-2026-000002" in body for body in to_other), to_other
    assert any("no more texts" in body for body in to_other), to_other  # the STOP's confirmation still goes
    db.session.refresh(news)
    assert news.status is OutboxStatus.CANCELLED


def test_a_media_count_in_other_digits_is_refused_not_a_500(client):
    params = {"MessageSid": new_sid(), "From": PHONE, "To": "+15005550006",
              "Body": "Police at the Kenema checkpoint beat my brother and took his money.", "NumMedia": "\u00b2"}
    response = client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": sign("/sms/inbound", params)})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(InboxText)) == 0
