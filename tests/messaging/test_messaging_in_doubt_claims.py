"""A claimed batch must be sent before its claim goes stale: another worker may claim it then, and the two send it
twice. Sends in flight together claim twice OUTBOX_SEND_CONCURRENCY messages at once, but a message in doubt is
first looked for in Twilio's list on the worker's own thread, one after the other: with a slow Twilio (the very
reason texts fall in doubt), each look-up may take up to the 10 s timeout. Through Twilio's recorded HTTP."""
from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import update

from civicwatch.extensions import db
from civicwatch.messaging.delivery import claim_timeout, deliver_due_messages
from civicwatch.messaging.models import OutboundMessage
from civicwatch.messaging.operations import queue_sms
from civicwatch.messaging.senders import TwilioSender, get_sender, set_sender
from tests.messaging.conftest import PUBLIC_BASE_URL
from tests.messaging.recording_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, RecordingHttpClient

CONCURRENCY = 16
PHONES = [f"+2327630{n:04d}" for n in range(2 * CONCURRENCY)]
LOOK_UP = dt.timedelta(seconds=9.5)  # Twilio answers each list just before the client's 10 s timeout


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config.update(OUTBOX_SEND_CONCURRENCY=CONCURRENCY)
    return app_config


class SlowLists(RecordingHttpClient):
    """Each list answered after LOOK_UP; once the first worker's claim is stale, `meanwhile` runs (once)."""

    def __init__(self, clock: Any, stale_at: dt.datetime, meanwhile: Any) -> None:
        super().__init__()
        self.clock, self.stale_at, self.meanwhile = clock, stale_at, meanwhile
        self.ran = False

    def _list(self, uri: str, params: dict[str, Any]) -> Any:
        self.clock.advance(seconds=LOOK_UP.total_seconds())
        if not self.ran and self.clock.now > self.stale_at:
            self.ran = True
            self.meanwhile()
        return super()._list(uri, params)


def test_a_batch_of_texts_in_doubt_behind_a_slow_twilio_is_not_sent_twice(app, clock):
    for n, phone in enumerate(PHONES):
        queue_sms(phone, f"CivicWatch: your report CW-2026-{n + 1:06d} was sent to the police council.", "status")
    # As a send whose answer timed out leaves them: Twilio may hold them, and nothing lists them there.
    db.session.execute(update(OutboundMessage).values(in_doubt_since=clock.now - dt.timedelta(minutes=1)))
    db.session.commit()
    other: list[Any] = []

    def second_worker() -> None:
        def run() -> None:
            with app.app_context():
                other.append(deliver_due_messages(get_sender(app), "worker-b"))
                db.session.remove()
        thread = threading.Thread(target=run)
        thread.start()
        thread.join(60)

    http = SlowLists(clock, clock.now + claim_timeout() + dt.timedelta(seconds=1), second_worker)
    set_sender(app, TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, status_callback=PUBLIC_BASE_URL + "/sms/status",
                                 http_client=http))
    deliver_due_messages(get_sender(app), "worker-a")

    assert http.ran and other, "the second worker did not run"
    sends = Counter(request.data["To"] for request in http.requests)
    assert sorted(sends) == sorted(PHONES)
    assert [phone for phone, count in sends.items() if count > 1] == [], "texts sent twice"
