"""What a batch of inbox texts answered in one transaction must keep: a worker killed half-way through a batch
loses no text and owes no reply, a text that fails rolls back alone of what is kept, and two workers taking full
batches side by side answer every text once and each phone in order."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, func, select

from civicwatch.audit.queries import verify_chain
from civicwatch.cases.models import Case, CaseMessage
from civicwatch.crypto import encrypt_text
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage
from civicwatch.phones import phone_hash
from civicwatch.sms.inbox import CLAIM_BATCH, MAX_ATTEMPTS, process_inbox
from civicwatch.sms.models import ConversationState, InboundSms, InboxText, SmsConversation
from tests.conftest import on_postgres
from tests.sms.conftest import acknowledged, new_sid, replies_since, sign
from tests.sms.test_sms_inbox_batches import commits_during

REPORT = "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card."
DETAIL = "It was on Tuesday around 7 in the evening."


class Killed(BaseException):
    """The worker's process dies: nothing of ours catches it, and the server rolls its transaction back."""


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def phones(n: int, prefix: str = "+2327630") -> list[str]:
    return [f"{prefix}{i:04d}" for i in range(n)]


def kill_at(statement_start: str, occurrence: int):
    """A listener that kills the worker when it sends its `occurrence`-th statement starting `statement_start`."""
    seen = []

    def listener(conn, cursor, statement, *args) -> None:
        if statement.lstrip().startswith(statement_start):
            seen.append(1)
            if len(seen) == occurrence:
                raise Killed

    return listener


def test_ten_texts_are_answered_in_one_transaction(send_text, clock):
    """On PostgreSQL as on SQLite: a batch's claim, MessageSids, replies, deletion, audit link and commit (one
    fsync) are shared by ten texts, not five. The batch's row locks are its follow-ups' cases; the dashboard's
    counts and the audit chain's lock, which every web report wants too, are taken at its commit."""
    senders = phones(10, prefix="+2327633")
    for phone in senders:
        acknowledged(send_text(REPORT, phone))
    commits, report = commits_during(process_inbox)
    assert report.answered == len(senders) and report.failed == 0
    assert commits == 2  # the batch, and the empty claim that ends the call
    assert all(len(replies_since(0, phone)) == 1 for phone in senders)
    assert verify_chain()[1] is None


@pytest.mark.parametrize("statement_start, occurrence", [
    ("INSERT INTO cases", 3),  # in the middle of the batch, two texts answered before
    ("DELETE FROM sms_inbox", 1),  # every text answered, the batch's last statement before its commit
])
def test_a_worker_killed_in_the_middle_of_a_batch_loses_no_text_and_owes_no_reply(send_text, clock, statement_start,
                                                                                   occurrence):
    senders = phones(CLAIM_BATCH[db.engine.dialect.name] + 2)
    for phone in senders:
        acknowledged(send_text(REPORT, phone))
    listener = kill_at(statement_start, occurrence)
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        with pytest.raises(Killed):
            process_inbox()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    db.session.rollback()  # what the server does with a dead worker's transaction
    # Nothing of the batch was kept: every text still waits, untouched, and no reply is owed.
    assert count(InboxText) == len(senders)
    assert db.session.scalar(select(func.max(InboxText.attempts))) == 0
    assert count(Case) == 0 and count(InboundSms) == 0 and count(SmsConversation) == 0
    assert count(OutboundMessage) == 0
    # The next worker answers each text once.
    report = process_inbox()
    assert report.answered == len(senders) and report.failed == 0
    assert count(Case) == len(senders) and count(InboxText) == 0
    for phone in senders:
        replies = replies_since(0, phone)
        assert len(replies) == 1 and "receipt code" in replies[0].text
    assert verify_chain()[1] is None


def test_a_text_that_fails_at_the_end_of_a_full_batch_is_set_aside_and_every_other_answered_once(send_text, clock):
    """The batch's last text fails after every other text of the batch was answered: they are rolled back with it
    and answered once each on the next claim; it alone counts its attempts and is set aside."""
    senders = phones(CLAIM_BATCH[db.engine.dialect.name], prefix="+2327631")
    poisoned = senders[-1]
    db.session.add(SmsConversation(
        phone_hash=phone_hash(poisoned), phone_encrypted=encrypt_text(poisoned),
        state=ConversationState.AWAITING_DETAILS, pending_encrypted=b"not a fernet token",
        pending_since=clock.now, last_message_at=clock.now))
    db.session.commit()
    for phone in senders:
        acknowledged(send_text(REPORT, phone))
    report = process_inbox()
    assert report.answered == len(senders) - 1 and report.failed == MAX_ATTEMPTS and report.set_aside == 1
    db.session.expire_all()
    assert count(Case) == len(senders) - 1 and count(InboundSms) == len(senders) - 1
    assert [text.attempts for text in db.session.scalars(select(InboxText))] == [MAX_ATTEMPTS]
    for phone in senders:
        replies = [reply.text for reply in replies_since(0, phone)]
        assert len(replies) == 1 and ("receipt code" in replies[0]) is (phone != poisoned)
    assert verify_chain()[1] is None


@pytest.mark.postgres_only
@pytest.mark.skipif(not on_postgres(), reason="FOR UPDATE SKIP LOCKED is PostgreSQL's")
def test_two_workers_taking_full_batches_answer_every_text_once_and_each_phone_in_order(app):
    senders = phones(3 * CLAIM_BATCH["postgresql"], prefix="+2327632")
    client = app.test_client()
    for phone in senders:
        for body in (REPORT, DETAIL):
            params = {"MessageSid": new_sid(), "From": phone,
                      "To": "+15005550006", "Body": body}
            acknowledged(client.post("/sms/inbound", data=params,
                                     headers={"X-Twilio-Signature": sign("/sms/inbound", params)}))
    barrier = threading.Barrier(2)

    def work(_: int) -> int:
        with app.app_context():
            barrier.wait()
            report = process_inbox(limit=1000)
            db.session.remove()
            assert report.failed == 0, report
            return report.answered

    with ThreadPoolExecutor(2) as pool:
        answered = list(pool.map(work, range(2)))
    db.session.expire_all()
    assert sum(answered) == 2 * len(senders) and count(InboxText) == 0
    assert count(Case) == len(senders) and count(InboundSms) == 2 * len(senders)
    for case in db.session.scalars(select(Case)):
        assert db.session.scalars(select(CaseMessage.body).where(CaseMessage.case_id == case.id)).all() == [DETAIL]
    for phone in senders:
        replies = [reply.text for reply in replies_since(0, phone)]
        assert len(replies) == 2 and replies[0].startswith("CivicWatch: report CW-") and "added" in replies[1]
