"""The delivery worker against Twilio's REST client over a recording HttpClient."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import event, select

from civicwatch.extensions import db
from civicwatch.messaging.delivery import claim_next_message, deliver_due_messages
from civicwatch.messaging.models import OutboundMessage, OutboxStatus, SmsOptOut
from civicwatch.messaging.operations import queue_sms, record_opt_out
from civicwatch.messaging.senders import get_sender, set_sender
from civicwatch.phones import phone_hash
from tests.messaging.recording_twilio import (
    ACCOUNT_SID,
    CONNECT_FAILURE,
    FROM_NUMBER,
    SERVER_ERROR,
    TIMEOUT,
    Fail,
)

PHONE = "+23276123456"
WORKER = "worker-a"


def queue(count: int = 1, phone: str = PHONE) -> list[int]:
    ids = [queue_sms(phone, f"CivicWatch: update number {n} on your report.", "status").id for n in range(count)]
    db.session.commit()
    return ids


def message(message_id: int) -> OutboundMessage:
    return db.session.get(OutboundMessage, message_id, populate_existing=True)


def deliver(app, worker: str = WORKER):
    return deliver_due_messages(get_sender(app), worker)


def test_a_message_is_sent_with_twilio_and_its_sid_stored(app, twilio_http, clock):
    (message_id,) = queue()
    report = deliver(app)
    assert report.sent == 1
    (request,) = twilio_http.requests
    assert request.method == "POST"
    assert request.url == f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.data["To"] == PHONE and request.data["From"] == FROM_NUMBER
    assert request.data["Body"] == "CivicWatch: update number 0 on your report."
    # The callback names the outbox row and its claim (microseconds since 1970), and nothing personal.
    claim = int((clock.now - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)).total_seconds()) * 10**6
    assert request.data["StatusCallback"] == f"https://civicwatch.example.org/sms/status?outbox={message_id}&claim={claim}"
    assert twilio_http.list_requests == []  # the usual send asks Twilio nothing else
    sent = message(message_id)
    assert sent.status is OutboxStatus.SENT and sent.provider_sid == request.sid
    assert sent.attempts == 1 and sent.sent_at == clock.now and sent.claimed_by is None


def test_failures_back_off_exponentially(app, twilio_http, clock):
    (message_id,) = queue()
    twilio_http.script.extend([SERVER_ERROR, TIMEOUT, CONNECT_FAILURE])
    waits = []
    for _ in range(3):
        deliver(app)
        row = message(message_id)
        assert row.status is OutboxStatus.PENDING
        waits.append((row.next_attempt_at - clock.now).total_seconds())
        assert deliver(app).handled == 0  # not due yet
        clock.now = row.next_attempt_at
    assert waits == [30, 60, 120]
    assert message(message_id).last_error == "could not reach Twilio (ConnectionError)"
    deliver(app)
    assert message(message_id).status is OutboxStatus.SENT and message(message_id).attempts == 4


def test_one_numbers_texts_arrive_in_the_order_they_were_owed(app, twilio_http, clock):
    """A reply waiting out a failure holds back the texts owed after it to the same number only."""
    first, second = queue(2)
    (elsewhere,) = queue(1, phone="+23277654321")
    twilio_http.script.append(SERVER_ERROR)
    report = deliver(app)
    assert report.retrying == 1 and report.sent == 1  # the other number's text went; the second waited
    assert message(second).status is OutboxStatus.PENDING and message(elsewhere).status is OutboxStatus.SENT
    clock.now = message(first).next_attempt_at
    assert deliver(app).sent == 2
    bodies = [request.data["Body"] for request in twilio_http.accepted if request.data["To"] == PHONE]
    assert bodies == [message(first).text, message(second).text]


def test_after_an_outage_every_message_is_delivered_exactly_once(app, twilio_http, clock):
    ids = [queue_sms(f"+2327610{n:04d}", f"CivicWatch: update {n} on your report.", "status").id for n in range(12)]
    db.session.commit()
    twilio_http.script.extend([SERVER_ERROR, TIMEOUT, SERVER_ERROR, Fail(503, 20503), TIMEOUT] * 6)
    for _ in range(40):
        deliver(app)
        clock.advance(minutes=5)
    assert all(message(i).status is OutboxStatus.SENT for i in ids)
    bodies = [request.data["Body"] for request in twilio_http.accepted]
    assert sorted(bodies) == sorted(message(i).text for i in ids)  # each once, none twice
    assert {message(i).provider_sid for i in ids} == {request.sid for request in twilio_http.accepted}
    assert len(twilio_http.requests) == 12 + 30


def test_messages_older_than_the_maximum_age_fail_and_wait_for_an_admin(app, twilio_http, clock):
    (message_id,) = queue()
    twilio_http.script.extend([SERVER_ERROR] * 1000)
    for _ in range(200):
        deliver(app)
        clock.advance(minutes=30)
    row = message(message_id)
    assert row.status is OutboxStatus.FAILED
    assert row.last_error == "Twilio error 20500 (HTTP 500)" and row.last_error_code == 20500
    assert (row.next_attempt_at - row.created_at).total_seconds() <= 48 * 3600
    attempts = row.attempts
    clock.advance(days=3)
    deliver(app)
    assert message(message_id).attempts == attempts  # never tried again on its own


def test_permanent_twilio_errors_are_not_retried(app, twilio_http, clock):
    invalid, landline = queue(2)
    twilio_http.script.extend([Fail(400, 21211), Fail(400, 21614)])
    deliver(app)
    clock.advance(hours=2)
    deliver(app)
    assert len(twilio_http.requests) == 2
    assert message(invalid).status is OutboxStatus.FAILED and message(invalid).last_error_code == 21211
    assert message(landline).status is OutboxStatus.FAILED and message(landline).last_error_code == 21614
    assert PHONE not in message(invalid).last_error  # Twilio's message quotes the number; we do not keep it


def test_an_unsubscribed_number_is_recorded_as_opted_out(app, twilio_http, clock):
    first, second = queue(2)
    twilio_http.script.append(Fail(400, 21610))
    deliver(app)
    assert message(first).status is OutboxStatus.FAILED
    assert message(second).status is OutboxStatus.CANCELLED  # the carrier's STOP applies to the rest
    assert db.session.scalar(select(SmsOptOut.source).where(SmsOptOut.phone_hash == phone_hash(PHONE))) == "carrier"
    assert len(twilio_http.requests) == 1


def test_nothing_is_sent_after_stop(app, twilio_http, clock):
    (waiting,) = queue()
    record_opt_out(phone_hash(PHONE), "keyword")
    db.session.commit()
    (later,) = queue()
    deliver(app)
    assert twilio_http.requests == []
    assert message(waiting).status is OutboxStatus.CANCELLED
    assert message(later).status is OutboxStatus.CANCELLED
    queue(1, phone="+23277654321")
    deliver(app)
    assert [request.data["To"] for request in twilio_http.requests] == ["+23277654321"]


def test_a_fresh_claim_is_left_alone_and_a_stale_one_is_taken_over(app, twilio_http, clock):
    (message_id,) = queue()
    claimed = claim_next_message("worker-that-dies")
    db.session.commit()
    assert claimed.id == message_id
    clock.advance(minutes=4)
    assert deliver(app).handled == 0 and twilio_http.requests == []
    clock.advance(minutes=2)  # past the five-minute claim timeout
    assert deliver(app).sent == 1
    assert len(twilio_http.accepted) == 1 and message(message_id).status is OutboxStatus.SENT


def test_the_deliver_command_sends_everything_due_once(app, twilio_http, clock):
    for n in range(45):  # more than one round, to 45 numbers (one number's texts wait for each other)
        queue(1, phone=f"+2327610{n:04d}")
    twilio_http.script.append(SERVER_ERROR)
    result = app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--once"])
    assert result.exit_code == 0, result.output
    assert "through twilio" in result.output and "sent 44, retrying later 1" in result.output
    assert len(twilio_http.accepted) == 44


def test_the_deliver_command_needs_a_sender(app):
    set_sender(app, None)
    result = app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--once"])
    assert result.exit_code != 0 and "TWILIO_ACCOUNT_SID" in result.output


def test_a_claimed_batch_is_sent_without_reading_each_message_again(app, twilio_http):
    """The batch is read once when claimed; the commits of the claim and of each SID do not make the worker
    read each message again before sending it."""
    for n in range(4):
        queue(1, phone=f"+2327630{n:04d}")
    db.session.expunge_all()  # as in the worker, which holds none of them
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert deliver(app).sent == 4
    finally:
        event.remove(engine, "before_cursor_execute", count)
    reads = [s for s in statements if s.lstrip().startswith("SELECT") and "FROM outbound_messages" in s]
    assert not reads, reads  # the claim's UPDATE returns the batch; the look that finds none due is a claim too
    assert len(twilio_http.accepted) == 4
