"""A citizen says on the follow-up page that their phone is not safe to text while the worker is part-way through
a batch that holds a text we start to that phone: the text is not sent, as a STOP stored meanwhile is honoured."""
from __future__ import annotations

from civicwatch.extensions import db
from civicwatch.messaging.delivery import deliver_due_messages
from civicwatch.messaging.models import OutboxStatus
from civicwatch.messaging.operations import queue_sms, set_safe_to_text
from civicwatch.messaging.queries import NOT_SAFE_NOTE
from civicwatch.messaging.senders import TwilioSender, get_sender, set_sender
from tests.factories import create_case
from tests.messaging.recording_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, RecordingHttpClient
from tests.sms.conftest import OTHER_PHONE, PHONE, PUBLIC_BASE_URL


class NotSafeDuringFirstSend(RecordingHttpClient):
    """While Twilio takes the batch's first message, the second number's owner answers "No" on the follow-up page
    (a request of its own: a session of its own, committed)."""

    def __init__(self, app, case_id: int) -> None:
        super().__init__()
        self.app, self.case_id, self.done = app, case_id, False

    def request(self, method, uri, **kwargs):
        if not self.done:
            self.done = True
            with self.app.app_context():
                set_safe_to_text(OTHER_PHONE, False, "follow_up", self.case_id)
                db.session.commit()
        return super().request(method, uri, **kwargs)


def test_a_not_safe_answer_stored_during_the_batch_is_honoured_before_the_next_send(app, clock):
    # The answer comes while the first send is in flight, before the second starts: one send at a time (with several in
    # flight, test_messaging_sends_in_flight.py holds the same for the sends not started).
    app.config["OUTBOX_SEND_CONCURRENCY"] = 1
    case = create_case(phone=OTHER_PHONE)  # its complainant answers
    http = NotSafeDuringFirstSend(app, case.id)
    set_sender(app, TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER,
                                 status_callback=PUBLIC_BASE_URL + "/sms/status", http_client=http))
    queue_sms(PHONE, "CivicWatch: your report CW-2026-000001 was sent to the police council.", "status")
    news = queue_sms(OTHER_PHONE, "CivicWatch: your report CW-2026-000002 was sent to the police council.",
                     "status")
    db.session.commit()
    deliver_due_messages(get_sender(app), "worker")
    assert [request.data["To"] for request in http.accepted] == [PHONE]
    db.session.refresh(news)
    assert news.status is OutboxStatus.CANCELLED and news.last_error == NOT_SAFE_NOTE
