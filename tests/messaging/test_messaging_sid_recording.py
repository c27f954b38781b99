"""The database fails exactly when the worker records Twilio's SID: the SID is kept, recorded later, and
the message is never sent again. Twilio is the recording HttpClient; the failure is a real
OperationalError raised by an engine event on the one UPDATE that writes the SID."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from civicwatch.extensions import db
from civicwatch.messaging.delivery import DeliveryReport, UnrecordedSends, claim_next_message, deliver_due_messages
from civicwatch.messaging.models import OutboundMessage, OutboxStatus
from civicwatch.messaging.operations import queue_sms
from civicwatch.messaging.senders import get_sender

PHONE = "+23276123456"


class FailingSidWrites:
    """Raise OperationalError on the next `times` statements that write a provider SID."""

    def __init__(self) -> None:
        self.times = 0
        self.raised = 0

    def __call__(self, conn, cursor, statement: str, parameters, context, executemany) -> None:
        writes_sid = statement.startswith("UPDATE outbound_messages") and "provider_sid" in statement.split("WHERE")[0]
        if writes_sid and self.times:
            self.times -= 1
            self.raised += 1
            raise OperationalError(statement, parameters, ConnectionError("server closed the connection"))


@pytest.fixture
def failing_sid_writes(app) -> Iterator[FailingSidWrites]:
    hook = FailingSidWrites()
    event.listen(db.engine, "before_cursor_execute", hook)
    yield hook
    event.remove(db.engine, "before_cursor_execute", hook)


def queue_one() -> int:
    message_id = queue_sms(PHONE, "CivicWatch: your report CW-2026-000001 was received.", "acknowledgement").id
    db.session.commit()
    return message_id


def row(message_id: int) -> OutboundMessage:
    return db.session.get(OutboundMessage, message_id, populate_existing=True)


def test_a_sid_the_database_refused_once_is_retried_and_the_text_never_sent_again(
        app, twilio_http, clock, failing_sid_writes):
    message_id = queue_one()
    failing_sid_writes.times = 1
    report = deliver_due_messages(get_sender(app), "worker-a")
    assert failing_sid_writes.raised == 1 and report.sent == 1 and report.errors == []
    (request,) = twilio_http.requests
    stored = row(message_id)
    assert stored.status is OutboxStatus.SENT and stored.provider_sid == request.sid and stored.claimed_by is None
    clock.advance(minutes=30)  # far past the claim timeout: nothing is left to take over
    assert deliver_due_messages(get_sender(app), "worker-b").handled == 0
    assert len(twilio_http.requests) == 1


def test_while_the_database_stays_down_the_worker_keeps_the_sid_and_records_it_before_anything_else(
        app, twilio_http, clock, failing_sid_writes):
    message_id = queue_one()
    unrecorded = UnrecordedSends()
    failing_sid_writes.times = 5  # every quick retry fails
    with pytest.raises(OperationalError):
        deliver_due_messages(get_sender(app), "worker-a", unrecorded=unrecorded)
    (request,) = twilio_http.requests
    assert [sent.provider_sid for sent in unrecorded.waiting] == [request.sid]
    assert row(message_id).status is OutboxStatus.SENDING and row(message_id).provider_sid is None
    clock.advance(minutes=10)  # the outage outlasted the claim: without the SID held, this resends it
    report = deliver_due_messages(get_sender(app), "worker-a", unrecorded=unrecorded)
    assert report.sent == 1 and unrecorded.waiting == []
    assert len(twilio_http.requests) == 1
    assert row(message_id).status is OutboxStatus.SENT and row(message_id).provider_sid == request.sid


def test_the_deliver_command_records_a_sid_the_database_refused_once(app, twilio_http, clock, failing_sid_writes):
    message_id = queue_one()
    failing_sid_writes.times = 1
    result = app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent 1," in result.output
    (request,) = twilio_http.requests
    assert row(message_id).provider_sid == request.sid


def test_a_stale_claim_that_has_a_sid_is_never_taken_again(app, twilio_http, clock):
    message_id = queue_one()
    claim_next_message("worker-that-died")
    db.session.commit()
    row(message_id).provider_sid = "SM" + "0" * 32  # recorded by hand from the worker's log
    db.session.commit()
    clock.advance(hours=1)
    assert claim_next_message("worker-b") is None
    assert deliver_due_messages(get_sender(app), "worker-b").handled == 0 and twilio_http.requests == []


def test_a_worker_that_outlived_its_claim_still_records_its_sid(app, twilio_http, clock):
    """The slow worker's send reached Twilio: its SID is the truth, so the row is sent and stays sent."""
    from civicwatch.messaging.delivery import deliver_message, record_sent

    message_id = queue_one()
    mine = claim_next_message("slow-worker")
    db.session.commit()
    clock.advance(minutes=6)
    theirs = claim_next_message("other-worker")
    db.session.commit()
    assert theirs.id == message_id
    report = DeliveryReport()
    sent = deliver_message(mine, get_sender(app), "slow-worker", report)
    record_sent(sent, report, UnrecordedSends())
    assert report.sent == 1
    (request,) = twilio_http.requests
    assert row(message_id).status is OutboxStatus.SENT and row(message_id).provider_sid == request.sid


def queue_for(phones: list[str]) -> list[int]:
    ids = [queue_sms(phone, "CivicWatch: your report was received.", "acknowledgement").id for phone in phones]
    db.session.commit()
    return ids


def test_a_batch_s_sids_are_recorded_together_and_kept_together_while_the_database_is_down(
        app, twilio_http, clock, failing_sid_writes):
    ids = queue_for([f"+2327612345{n}" for n in range(3)])
    unrecorded = UnrecordedSends()
    failing_sid_writes.times = 5
    with pytest.raises(OperationalError):
        deliver_due_messages(get_sender(app), "worker-a", unrecorded=unrecorded)
    assert sorted(sent.message_id for sent in unrecorded.waiting) == ids and len(twilio_http.requests) == 3
    clock.advance(minutes=10)
    statements = []
    event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    report = deliver_due_messages(get_sender(app), "worker-a", unrecorded=unrecorded)
    assert report.sent == 3 and unrecorded.waiting == [] and len(twilio_http.requests) == 3
    assert sum(s.startswith("UPDATE outbound_messages") and "provider_sid" in s.split("WHERE")[0]
               for s in statements) == 1
    by_sid = {request.sid for request in twilio_http.requests}
    assert {row(message_id).provider_sid for message_id in ids} == by_sid


def test_a_worker_killed_between_the_sends_and_the_record_leaves_a_batch_that_is_found_not_sent_again(
        app, twilio_http, clock, failing_sid_writes):
    """The batch in hand when the worker dies: its claims go stale, and the worker that takes them over finds
    each text in Twilio's list and records its SID instead of sending it again."""
    first = queue_for(["+23276000001"])
    deliver_due_messages(get_sender(app), "worker-a")
    second = queue_for(["+23276000002", "+23276000003"])
    failing_sid_writes.times = 5
    with pytest.raises(OperationalError):
        deliver_due_messages(get_sender(app), "worker-that-dies")  # its UnrecordedSends dies with it
    assert len(twilio_http.requests) == 3
    assert deliver_due_messages(get_sender(app), "worker-b").handled == 0  # still claimed
    clock.advance(minutes=10)
    report = deliver_due_messages(get_sender(app), "worker-b")
    assert report.sent == 2 and len(twilio_http.requests) == 3 and len(twilio_http.list_requests) == 2
    assert row(first[0]).provider_sid == twilio_http.requests[0].sid
    assert [row(message_id).provider_sid for message_id in second] == [r.sid for r in twilio_http.requests[1:]]
