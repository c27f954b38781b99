"""The outbox's commits: a batch's SIDs are recorded in the transaction that claims the next batch (one commit, one
fsync, for both), and a claim that fails there takes none of the SIDs down with it."""
from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from civicwatch.extensions import db
from civicwatch.messaging.delivery import UnrecordedSends, claim_batch, deliver_due_messages
from civicwatch.messaging.models import OutboundMessage, OutboxStatus
from civicwatch.messaging.operations import queue_sms
from civicwatch.messaging.senders import get_sender


def phone(n: int) -> str:
    return f"+232763{n:05d}"


def queue_for(count: int) -> list[int]:
    ids = [queue_sms(phone(n), "CivicWatch: your report was received.", "acknowledgement").id for n in range(count)]
    db.session.commit()
    return ids


def sid_sent_to(twilio_http) -> dict[str, str | None]:
    """The SID Twilio gave each number (the sends of a batch may reach it in any order)."""
    return {request.data["To"]: request.sid for request in twilio_http.requests}


def row(message_id: int) -> OutboundMessage:
    return db.session.get(OutboundMessage, message_id, populate_existing=True)


def is_claim(statement: str) -> bool:
    return statement.lstrip().startswith(("UPDATE outbound_messages", "WITH chosen")) and "in_doubt_since=CASE" in statement


def test_a_batch_s_sids_and_the_next_claim_share_one_commit(app, twilio_http, clock):
    ids = queue_for(2 * claim_batch())
    commits = []
    listener = lambda *args: commits.append(1)  # noqa: E731
    event.listen(db.engine, "commit", listener)
    try:
        report = deliver_due_messages(get_sender(app), "worker-a")
    finally:
        event.remove(db.engine, "commit", listener)
    assert report.sent == len(ids) and len(twilio_http.requests) == len(ids)
    # The first claim; the first batch's SIDs with the second claim; the second batch's SIDs with the empty claim.
    assert len(commits) == 3
    sids = sid_sent_to(twilio_http)
    assert [row(message_id).provider_sid for message_id in ids] == [sids[phone(n)] for n in range(len(ids))]


def test_a_claim_that_fails_after_a_batch_still_records_the_batch_s_sids(app, twilio_http, clock):
    """The database refuses the claim that follows a batch's sends: the batch's SIDs are still recorded (each text
    is never sent again), the error reaches the deliver loop, and the next call sends the rest once."""
    batch = claim_batch()
    ids = queue_for(batch + 1)
    claims = []

    def fail_second_claim(conn, cursor, statement, parameters, *args) -> None:
        if is_claim(statement):
            claims.append(1)
            if len(claims) == 2:
                raise OperationalError(statement, parameters, ConnectionError("server closed the connection"))

    unrecorded = UnrecordedSends()
    event.listen(db.engine, "before_cursor_execute", fail_second_claim)
    try:
        with pytest.raises(OperationalError):
            deliver_due_messages(get_sender(app), "worker-a", unrecorded=unrecorded)
    finally:
        event.remove(db.engine, "before_cursor_execute", fail_second_claim)
    assert unrecorded.waiting == [] and len(twilio_http.requests) == batch
    sids = sid_sent_to(twilio_http)
    assert [row(message_id).provider_sid for message_id in ids[:batch]] == [sids[phone(n)] for n in range(batch)]
    assert all(row(message_id).status is OutboxStatus.SENT for message_id in ids[:batch])
    assert row(ids[-1]).status is OutboxStatus.PENDING
    report = deliver_due_messages(get_sender(app), "worker-a", unrecorded=unrecorded)
    assert report.sent == 1 and len(twilio_http.requests) == batch + 1
    assert row(ids[-1]).provider_sid == twilio_http.requests[-1].sid
