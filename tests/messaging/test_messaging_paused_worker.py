"""A worker paused (SIGSTOP, a long GC, a VM pause) after it claimed a text and before it sent it, for longer than
the claim timeout: another worker takes the stale claim over and sends the text. The first, woken, must send
nothing: its claim is no longer its own. Two workers' claims, the app's clock moved by hand, Twilio's servers the
recording HttpClient."""
from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from sqlalchemy import update

from civicwatch.extensions import db
from civicwatch.messaging.delivery import DeliveryReport, claim_timeout, deliver_due_messages
from civicwatch.messaging.models import OutboundMessage, OutboxStatus
from civicwatch.messaging.operations import queue_sms
from civicwatch.messaging.senders import TwilioSender, get_sender, set_sender
from tests.messaging.conftest import PUBLIC_BASE_URL
from tests.messaging.recording_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, RecordingHttpClient

PHONE = "+23276555111"
TEXT = "CivicWatch: your report CW-2026-000077 was sent to the police council."


class PauseDuringFirstList(RecordingHttpClient):
    """The first worker is paused while it looks its text up in Twilio's list (before its send): the clock moves
    past the claim timeout and `meanwhile` (the second worker) runs before the list is answered."""

    def __init__(self, clock: Any, meanwhile: Any) -> None:
        super().__init__()
        self.clock, self.meanwhile = clock, meanwhile
        self.paused = False

    def _list(self, uri: str, params: dict[str, Any]) -> Any:
        if not self.paused:
            self.paused = True
            self.clock.advance(seconds=claim_timeout().total_seconds() + 1)
            self.meanwhile()
        return super()._list(uri, params)


def test_a_worker_paused_past_its_claim_sends_nothing_that_another_worker_took_over(app, clock):
    message_id = queue_sms(PHONE, TEXT, "status").id
    # As a send whose answer timed out leaves it: Twilio is asked before it is sent again.
    db.session.execute(update(OutboundMessage).values(in_doubt_since=clock.now - dt.timedelta(minutes=1)))
    db.session.commit()
    second: list[DeliveryReport] = []

    def second_worker() -> None:
        def run() -> None:
            with app.app_context():
                second.append(deliver_due_messages(get_sender(app), "worker-b"))
                db.session.remove()
        thread = threading.Thread(target=run)
        thread.start()
        thread.join(60)

    http = PauseDuringFirstList(clock, second_worker)
    set_sender(app, TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, status_callback=PUBLIC_BASE_URL + "/sms/status",
                                 http_client=http))
    first = deliver_due_messages(get_sender(app), "worker-a")

    assert second and second[0].sent == 1, "the second worker did not send the text"
    assert [request.data["To"] for request in http.requests] == [PHONE], "the text was sent twice"
    assert (first.sent, first.lost_claims) == (0, 1)
    message = db.session.get(OutboundMessage, message_id, populate_existing=True)
    assert message.status is OutboxStatus.SENT
    assert message.provider_sid == http.requests[0].sid
