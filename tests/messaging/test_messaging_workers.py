"""Several delivery workers at once, each with its own database session: no message is sent twice."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select, text

from civicwatch.extensions import db
from civicwatch.messaging.delivery import claim_next_message, deliver_due_messages
from civicwatch.messaging.models import OutboundMessage, OutboxStatus
from civicwatch.messaging.operations import queue_sms
from civicwatch.messaging.senders import get_sender
from tests.conftest import on_postgres

MESSAGES = 60


def run_workers(app, names: list[str]) -> dict[str, int]:
    barrier = threading.Barrier(len(names))

    def work(name: str) -> int:
        with app.app_context():  # a context, and so a session and connection, per worker
            barrier.wait()
            sent = deliver_due_messages(get_sender(app), name, limit=MESSAGES).sent
            db.session.remove()
            return sent

    with ThreadPoolExecutor(len(names)) as pool:
        return dict(zip(names, pool.map(work, names), strict=False))


def test_concurrent_workers_send_each_message_once(app, twilio_http):
    for n in range(MESSAGES):
        queue_sms(f"+2327610{n:04d}", f"CivicWatch: message {n}.", "status")
    db.session.commit()
    twilio_http.latency = 0.01  # long enough for the workers to overlap on every message
    sent = run_workers(app, ["worker-a", "worker-b", "worker-c"])
    assert sum(sent.values()) == MESSAGES
    assert sum(1 for count in sent.values() if count) >= 2, sent  # they really did work side by side
    bodies = [request.data["Body"] for request in twilio_http.accepted]
    assert len(bodies) == len(set(bodies)) == MESSAGES
    db.session.expire_all()
    statuses = db.session.scalars(select(OutboundMessage.status)).all()
    assert statuses == [OutboxStatus.SENT] * MESSAGES


@pytest.mark.postgres_only
@pytest.mark.skipif(not on_postgres(), reason="FOR UPDATE SKIP LOCKED is PostgreSQL's")
def test_a_worker_skips_rows_another_worker_has_locked(app, twilio_http):
    """While one worker's claim transaction holds the oldest row, another claims the next without waiting."""
    first = queue_sms("+23276100001", "first", "status")
    second = queue_sms("+23276100002", "second", "status")
    db.session.commit()
    first_id, second_id = first.id, second.id
    with db.engine.connect() as holder:
        holder.execute(text("SELECT id FROM outbound_messages WHERE id = :id FOR UPDATE"), {"id": first_id})

        def claim() -> int | None:
            with app.app_context():
                db.session.execute(text("SET LOCAL lock_timeout = '2s'"))
                message = claim_next_message("worker-b")
                db.session.commit()
                return message.id if message else None

        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(claim).result(timeout=10) == second_id
        holder.rollback()


def test_two_workers_claiming_batches_send_each_message_once_and_each_number_in_order(app, twilio_http):
    """Workers claim messages a batch at a time: each number's texts still go out once each, in the order
    they were owed, whichever worker sends them."""
    phones, steps = [f"+2327620{n:04d}" for n in range(24)], 3
    for step in range(steps):
        for phone in phones:
            queue_sms(phone, f"CivicWatch: {phone} message {step}.", "status")
    db.session.commit()
    twilio_http.latency = 0.002  # the workers overlap
    app.config["OUTBOX_SEND_CONCURRENCY"] = 4  # claims of ten (CLAIM_BATCH): fewer than the numbers owed a text
    sent = run_workers(app, ["worker-a", "worker-b"])  # more messages than one worker's limit: both work
    assert all(sent.values()), sent
    # A worker stops when everything left waits behind the other's claims; whatever is left goes next round.
    left = deliver_due_messages(get_sender(app), "worker-a").sent
    assert sum(sent.values()) + left == len(phones) * steps
    bodies = [request.data["Body"] for request in twilio_http.accepted]
    assert len(bodies) == len(set(bodies)) == len(phones) * steps
    for phone in phones:
        assert [body for body in bodies if phone in body] == [
            f"CivicWatch: {phone} message {step}." for step in range(steps)]
