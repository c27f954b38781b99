"""A `deliver` worker sends the outbox while it answers the next texts, through the real command, the webhook and
Twilio's recorded HTTP (answering after a delay): a reply goes out while later texts are still being answered, a
stop mid-way records every SID Twilio gave, and the database going away and coming back is survived by both the
answering and the sending."""
from __future__ import annotations

import logging
import os
import signal
import threading

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage, OutboxStatus
from civicwatch.messaging.senders import TwilioSender, set_sender
from civicwatch.sms.models import InboxText
from tests.messaging.recording_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    RecordingHttpClient,
    SignalOnThirdSend,
)
from tests.sms.conftest import PUBLIC_BASE_URL

PHONES = [f"+2327630{n:04d}" for n in range(30)]  # more than one round of the inbox (20)
LATENCY = 0.05


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config.update(OUTBOX_SEND_CONCURRENCY=4)
    return app_config


def sender_over(app, http: RecordingHttpClient) -> RecordingHttpClient:
    set_sender(app, TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, status_callback=PUBLIC_BASE_URL + "/sms/status",
                                 http_client=http))
    return http


def text_from_every_phone(send_text) -> None:
    for phone in PHONES:
        assert send_text("HELP", phone=phone).status_code == 200


def inbox_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(InboxText))


def outbox() -> list[OutboundMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))


def assert_every_accepted_sid_recorded_once(http: RecordingHttpClient) -> None:
    held = [message.provider_sid for message in outbox() if message.provider_sid]
    assert sorted(held) == sorted(request.sid for request in http.accepted)
    assert len({request.data["To"] for request in http.accepted}) == len(http.accepted)


def run_worker(app):
    return app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--interval", "0.1"])


class StopWhenAllSent(RecordingHttpClient):
    """Twilio answers after a delay; once it has accepted a reply for every phone, the worker is told to stop."""

    def __init__(self) -> None:
        super().__init__(latency=LATENCY)
        self.stopped = False

    def request(self, method, uri, **kwargs):
        response = super().request(method, uri, **kwargs)
        with self._lock:
            stop = len(self.accepted) == len(PHONES) and not self.stopped
            self.stopped = self.stopped or stop
        if stop:
            os.kill(os.getpid(), signal.SIGTERM)
        return response


class FirstSendWaitsForTheInbox(StopWhenAllSent):
    """Twilio holds the first send until the worker has answered every text of the inbox (at most 5 s)."""

    def __init__(self, app) -> None:
        super().__init__()
        self.app = app
        self.inbox_emptied_during_first_send: bool | None = None

    def request(self, method, uri, **kwargs):
        with self._lock:
            first = method == "POST" and self.inbox_emptied_during_first_send is None
            if first:
                self.inbox_emptied_during_first_send = False
        if first:
            for _ in range(100):
                if inbox_count(self.app) == 0:
                    self.inbox_emptied_during_first_send = True
                    break
                threading.Event().wait(0.05)
        return super().request(method, uri, **kwargs)


def test_replies_are_sent_while_the_next_texts_are_answered(app, send_text, clock):
    text_from_every_phone(send_text)
    http = sender_over(app, FirstSendWaitsForTheInbox(app))
    result = run_worker(app)
    assert result.exit_code == 0, result.output
    assert http.inbox_emptied_during_first_send is True
    assert inbox_count(app) == 0
    assert len(http.accepted) == len(PHONES)
    assert_every_accepted_sid_recorded_once(http)
    assert {message.status for message in outbox()} == {OutboxStatus.SENT}


def test_a_stop_mid_way_waits_for_the_sends_in_flight_and_records_every_sid(app, send_text, clock):
    text_from_every_phone(send_text)
    http = sender_over(app, SignalOnThirdSend(LATENCY))
    result = run_worker(app)
    assert result.exit_code == 0, result.output
    assert len(http.accepted) >= 3
    assert_every_accepted_sid_recorded_once(http)
    unsent = [message for message in outbox() if message.provider_sid is None]
    assert all(message.status is OutboxStatus.PENDING and message.claimed_by is None for message in unsent)
    assert inbox_count(app) + len(outbox()) == len(PHONES)  # each text answered with its reply owed, or waiting


class DatabaseDown:
    """From `go_down()` on, every statement raises OperationalError, until statements of two different threads (the
    answering and the sending) have met the outage, or 40 have (a worker with a single loop). The opt-out look-up
    just before a send is spared: its failure is that one message's error, whose claim then waits out its timeout."""

    def __init__(self) -> None:
        self.down = False
        self.threads: set[int] = set()
        self.raised = 0
        self._lock = threading.Lock()

    def go_down(self) -> None:
        with self._lock:
            if not self.raised:
                self.down = True

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        with self._lock:
            if not self.down or statement.lstrip().startswith("SELECT EXISTS"):
                return
            self.threads.add(threading.get_ident())
            self.raised += 1
            self.down = len(self.threads) < 2 and self.raised < 40
        raise OperationalError(statement, parameters, ConnectionError("server closed the connection"))


class OutageAtFirstSend(StopWhenAllSent):
    """The database goes away while Twilio takes the first send."""

    def __init__(self, outage: DatabaseDown) -> None:
        super().__init__()
        self.outage = outage

    def request(self, method, uri, **kwargs):
        if method == "POST":
            self.outage.go_down()
        return super().request(method, uri, **kwargs)


def test_the_database_going_away_and_back_is_survived_by_answering_and_sending(app, send_text, clock, caplog):
    text_from_every_phone(send_text)
    outage = DatabaseDown()
    http = sender_over(app, OutageAtFirstSend(outage))
    event.listen(db.engine, "before_cursor_execute", outage)
    try:
        with caplog.at_level(logging.WARNING):
            result = run_worker(app)
    finally:
        event.remove(db.engine, "before_cursor_execute", outage)
    assert result.exit_code == 0, result.output
    assert len(outage.threads) == 2 and outage.raised >= 2
    unavailable = [record.getMessage() for record in caplog.records if "database unavailable" in record.getMessage()]
    assert len(unavailable) >= 2 and all("\n" not in line for line in unavailable)
    assert inbox_count(app) == 0
    assert len(http.accepted) == len(PHONES)
    assert_every_accepted_sid_recorded_once(http)
    assert {message.status for message in outbox()} == {OutboxStatus.SENT}
