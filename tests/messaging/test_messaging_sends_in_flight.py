"""A worker's sends to different numbers in flight together (OUTBOX_SEND_CONCURRENCY), through Twilio's recorded
HTTP and the real `deliver` command: each number's texts still go in order, a STOP stored while sends are in flight
is honoured for those not started, a stop signal mid-batch records every SID Twilio gave, one failing send leaves
the others sent, and Twilio's 429 is a retry later."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from civicwatch.extensions import db
from civicwatch.messaging.delivery import deliver_due_messages
from civicwatch.messaging.models import OutboundMessage, OutboxStatus
from civicwatch.messaging.operations import OPTED_OUT_NOTE, queue_sms, record_opt_out
from civicwatch.messaging.senders import TwilioSender, get_sender, set_sender
from civicwatch.phones import phone_hash
from civicwatch.sms.inbox import TEXT_REPLY
from tests.messaging.conftest import PUBLIC_BASE_URL
from tests.messaging.recording_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    SERVER_ERROR,
    Fail,
    RecordingHttpClient,
    SignalOnThirdSend,
)

CONCURRENCY = 4
PHONES = [f"+2327620{n:04d}" for n in range(12)]
NEWS = "CivicWatch: your report CW-2026-{:06d} was sent to the police council."


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config.update(OUTBOX_SEND_CONCURRENCY=CONCURRENCY)
    return app_config


def sender_over(app, http: RecordingHttpClient) -> RecordingHttpClient:
    set_sender(app, TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, status_callback=PUBLIC_BASE_URL + "/sms/status",
                                 http_client=http))
    return http


def owe_news(phones: list[str]) -> list[int]:
    ids = [queue_sms(phone, NEWS.format(n + 1), "status").id for n, phone in enumerate(phones)]
    db.session.commit()
    return ids


def rows() -> dict[int, OutboundMessage]:
    db.session.expire_all()
    return {message.id: message for message in db.session.scalars(select(OutboundMessage).order_by(OutboundMessage.id))}


def assert_every_accepted_sid_recorded_once(http: RecordingHttpClient) -> None:
    held = [message.provider_sid for message in rows().values() if message.provider_sid]
    assert sorted(held) == sorted(request.sid for request in http.accepted)
    bodies = [(request.data["To"], request.data["Body"]) for request in http.accepted]
    assert len(bodies) == len(set(bodies)), bodies


class Gate(RecordingHttpClient):
    """Twilio answers none of the first `together` sends until that many are in flight at once."""

    def __init__(self, together: int) -> None:
        super().__init__()
        self.barrier = threading.Barrier(together, timeout=10)
        self.calls = 0

    def request(self, method, uri, **kwargs):
        with self._lock:
            self.calls += 1
            first = self.calls <= self.barrier.parties
        if method == "POST" and first:
            self.barrier.wait()
        return super().request(method, uri, **kwargs)


def test_sends_to_different_numbers_are_in_flight_together(app, clock):
    http = sender_over(app, Gate(CONCURRENCY))
    owe_news(PHONES[:8])
    report = deliver_due_messages(get_sender(app), "worker")
    assert report.sent == 8 and report.errors == []
    assert_every_accepted_sid_recorded_once(http)
    assert {message.status for message in rows().values()} == {OutboxStatus.SENT}


class Slow(RecordingHttpClient):
    """Twilio takes longer for some numbers than for others, so that sends end out of the order they began."""

    def request(self, method, uri, **kwargs):
        to = (kwargs.get("data") or {}).get("To", "")
        if to.endswith(("1", "4", "7")):
            threading.Event().wait(0.03)
        return super().request(method, uri, **kwargs)


def test_each_number_s_texts_go_in_order_through_the_deliver_command(app, clock):
    http = sender_over(app, Slow())
    long_answer = " ".join(f"word{n}" for n in range(700))  # over 1,600 characters: owed as several texts
    queue_sms(PHONES[0], long_answer, "answer")
    queue_sms(PHONES[1], "CivicWatch: ready for a new report. Text what happened.", TEXT_REPLY)
    queue_sms(PHONES[1], NEWS.format(2), "status")
    owe_news(PHONES[2:])
    owed = {phone: [message.text for message in rows().values() if message.to_hash == phone_hash(phone)]
            for phone in PHONES}
    assert len(owed[PHONES[0]]) >= 3
    result = app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--once"])
    assert result.exit_code == 0, result.output
    for phone in PHONES:
        assert [request.data["Body"] for request in http.accepted if request.data["To"] == phone] == owed[phone]
    assert_every_accepted_sid_recorded_once(http)


class StopWhileInFlight(RecordingHttpClient):
    """While Twilio takes the first number's text, the last number's owner texts STOP (another process stores it
    and commits); the second send, in flight meanwhile, ends only after that commit."""

    def __init__(self, app) -> None:
        super().__init__()
        self.app, self.stored = app, threading.Event()

    def request(self, method, uri, **kwargs):
        to = (kwargs.get("data") or {}).get("To")
        if to == PHONES[0]:
            with self.app.app_context():
                record_opt_out(phone_hash(PHONES[5]), "keyword")
                db.session.commit()
            self.stored.set()
        else:
            assert self.stored.wait(10)
        return super().request(method, uri, **kwargs)


def test_a_stop_stored_while_sends_are_in_flight_is_honoured_for_those_not_started(app, clock):
    app.config["OUTBOX_SEND_CONCURRENCY"] = 2
    http = sender_over(app, StopWhileInFlight(app))
    ids = owe_news(PHONES[:6])
    report = deliver_due_messages(get_sender(app), "worker")
    assert PHONES[5] not in [request.data["To"] for request in http.accepted]
    stopped = rows()[ids[5]]
    assert stopped.status is OutboxStatus.CANCELLED and stopped.last_error == OPTED_OUT_NOTE
    assert report.sent == 5 and report.cancelled == 1
    assert_every_accepted_sid_recorded_once(http)


def test_a_stop_signal_mid_batch_waits_for_the_sends_in_flight_and_records_every_sid(app, clock):
    http = sender_over(app, SignalOnThirdSend(0.02))
    owe_news(PHONES)
    result = app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--interval", "0.1"])
    assert result.exit_code == 0, result.output
    assert len(http.accepted) >= 3
    assert_every_accepted_sid_recorded_once(http)
    untouched = [message for message in rows().values() if message.provider_sid is None]
    assert all(message.status is OutboxStatus.PENDING and message.claimed_by is None for message in untouched)


class ByNumber(RecordingHttpClient):
    """Twilio answers each number as `answers` says (accepting the others), whatever order the sends come in."""

    def __init__(self, answers: dict[str, Fail]) -> None:
        super().__init__()
        self.answers = answers
        self._lock = threading.RLock()  # held over the whole request: the answer scripted is this request's

    def request(self, method, uri, **kwargs):
        to = (kwargs.get("data") or {}).get("To")
        with self._lock:
            if method == "POST" and to in self.answers:
                self.script.appendleft(self.answers[to])
            return super().request(method, uri, **kwargs)


def test_a_failing_send_leaves_the_others_of_the_batch_sent(app, clock):
    http = sender_over(app, ByNumber({PHONES[1]: SERVER_ERROR, PHONES[2]: Fail(400, 21211)}))
    ids = owe_news(PHONES[:8])
    report = deliver_due_messages(get_sender(app), "worker")
    assert (report.sent, report.retrying, report.failed) == (6, 1, 1)
    messages = rows()
    retried, refused = messages[ids[1]], messages[ids[2]]
    assert retried.status is OutboxStatus.PENDING and retried.attempts == 1 and retried.last_error_code == 20500
    assert retried.next_attempt_at > clock.now
    assert refused.status is OutboxStatus.FAILED and refused.last_error_code == 21211
    assert [messages[n].status for n in ids if n not in (retried.id, refused.id)] == [OutboxStatus.SENT] * 6
    assert_every_accepted_sid_recorded_once(http)


def test_twilio_s_too_many_requests_is_a_retry_later_not_a_failure(app, clock):
    http = sender_over(app, ByNumber({phone: Fail(429, 20429) for phone in PHONES[:3]}))
    ids = owe_news(PHONES[:6])
    report = deliver_due_messages(get_sender(app), "worker")
    assert (report.sent, report.retrying, report.failed) == (3, 3, 0)
    waiting = [rows()[message_id] for message_id in ids[:3]]
    assert all(message.status is OutboxStatus.PENDING and message.last_error_code == 20429 for message in waiting)
    http.answers = {}
    clock.advance(minutes=5)
    assert deliver_due_messages(get_sender(app), "worker").sent == 3
    assert {message.status for message in rows().values()} == {OutboxStatus.SENT}
    assert_every_accepted_sid_recorded_once(http)
