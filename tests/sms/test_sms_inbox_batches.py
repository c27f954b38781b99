"""The inbox answered in batches: one claim and one commit for many texts, a text that fails does not take
the others of its batch with it, and the audit chain stays whole."""
from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Connection, event, func, select, text

from civicwatch.audit.queries import verify_chain
from civicwatch.cases.models import Case, CaseMessage
from civicwatch.crypto import encrypt_text, keyed_hash
from civicwatch.extensions import db
from civicwatch.phones import phone_hash
from civicwatch.sms.inbox import CLAIM_BATCH, MAX_ATTEMPTS, SENDER_HASH_PURPOSE, process_inbox
from civicwatch.sms.models import ConversationState, InboundSms, InboxText, SmsConversation
from tests.conftest import on_postgres
from tests.sms.conftest import acknowledged, new_sid, replies_since, statements_during

REPORT = "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card."
PHONES = [f"+2327620{n:04d}" for n in range(6)]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def commits_during(action) -> tuple[int, object]:
    commits = []
    listener = lambda *args: commits.append(1)  # noqa: E731
    event.listen(db.engine, "commit", listener)
    try:
        result = action()
    finally:
        event.remove(db.engine, "commit", listener)
    return len(commits), result


def test_texts_are_answered_a_batch_per_transaction(send_text, clock):
    """A batch of texts per commit."""
    for phone in PHONES:
        acknowledged(send_text(REPORT, phone))
    commits, report = commits_during(process_inbox)
    assert report.answered == len(PHONES) and report.failed == 0
    batch = CLAIM_BATCH[db.engine.dialect.name]
    # A commit per batch of texts (each case routed with it) and one for the empty claim that ends the call.
    assert commits == math.ceil(len(PHONES) / batch) + 1
    assert count(Case) == len(PHONES) and count(InboxText) == 0
    assert all(len(replies_since(0, phone)) == 1 for phone in PHONES)
    assert verify_chain()[1] is None


@pytest.mark.postgres_only
@pytest.mark.skipif(not on_postgres(), reason="PostgreSQL's planner and SKIP LOCKED")
def test_a_claim_takes_no_more_than_its_batch_when_the_inbox_was_analysed_empty(send_text, clock):
    """The inbox is empty most of the time, so that is what autovacuum's statistics usually say. With them the
    planner ran the claim's LIMIT ... SKIP LOCKED subquery again for every row of the UPDATE, and one claim took
    every waiting text: a batch as long as the backlog, holding its locks for all of it."""
    db.session.execute(text("ANALYZE sms_inbox"))
    db.session.commit()
    for phone in PHONES:
        acknowledged(send_text(REPORT, phone))
    batch = CLAIM_BATCH["postgresql"]
    commits, report = commits_during(process_inbox)
    assert report.answered == len(PHONES)
    assert commits == math.ceil(len(PHONES) / batch) + 1


def test_a_text_that_fails_in_the_middle_of_a_batch_does_not_hold_back_the_others(send_text, clock):
    """The third sender's conversation keeps a fragment that no longer decrypts: its text fails after the two
    before it in the batch wrote cases and audit entries. Those are rolled back with it, then answered once
    each; the failing text is set aside after MAX_ATTEMPTS, and the chain has no gap."""
    poisoned = PHONES[2]
    db.session.add(SmsConversation(
        phone_hash=phone_hash(poisoned), phone_encrypted=encrypt_text(poisoned),
        state=ConversationState.AWAITING_DETAILS, pending_encrypted=b"not a fernet token",
        pending_since=clock.now, last_message_at=clock.now))
    db.session.commit()
    for phone in PHONES:
        acknowledged(send_text(REPORT, phone))
    report = process_inbox()
    assert report.answered == len(PHONES) - 1 and report.failed == MAX_ATTEMPTS and report.set_aside == 1
    db.session.expire_all()
    stuck = db.session.scalars(select(InboxText)).one()
    assert stuck.sender_hash == keyed_hash(SENDER_HASH_PURPOSE, poisoned) and stuck.attempts == MAX_ATTEMPTS
    assert count(Case) == len(PHONES) - 1 and count(InboundSms) == len(PHONES) - 1
    for phone in PHONES:
        replies = [reply.text for reply in replies_since(0, phone)]
        assert len(replies) == 1
        assert ("receipt code" in replies[0]) is (phone != poisoned)
    assert verify_chain()[1] is None


REFUSED_WORDS = "ledger of the barracks fuel"


@pytest.mark.postgres_only
@pytest.mark.skipif(not on_postgres(), reason="PostgreSQL's limits (SQLSTATE class 54)")
def test_a_text_the_database_refuses_for_its_data_is_set_aside_not_taken_for_an_outage(send_text, clock):
    """PostgreSQL refuses one text's case past one of its limits (SQLSTATE 54000, raised here by a trigger for
    the words of that text), at every try. It is the text's failure, as any other: set aside after its tries,
    the others answered. Taken for the database's, it held the inbox up for ever, the worker waiting for an
    outage to end."""
    db.session.execute(text(f"""
        CREATE FUNCTION refuse_words() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.text LIKE '%{REFUSED_WORDS}%' THEN
                RAISE EXCEPTION 'index row size exceeds maximum' USING ERRCODE = 'program_limit_exceeded';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER refuse_words BEFORE INSERT ON cases FOR EACH ROW EXECUTE FUNCTION refuse_words();
    """))
    db.session.commit()
    refused = PHONES[1]
    for phone in PHONES:
        acknowledged(send_text(f"{REPORT} They sold the {REFUSED_WORDS}." if phone == refused else REPORT, phone))
    report = process_inbox()
    assert report.answered == len(PHONES) - 1 and report.failed == MAX_ATTEMPTS and report.set_aside == 1
    db.session.expire_all()
    stuck = db.session.scalars(select(InboxText)).one()
    assert stuck.sender_hash == keyed_hash(SENDER_HASH_PURPOSE, refused)
    assert stuck.attempts == MAX_ATTEMPTS and stuck.last_error == "OperationalError"
    assert count(Case) == len(PHONES) - 1
    assert verify_chain()[1] is None


def test_follow_ups_rolled_back_with_their_batch_are_each_added_once_when_answered_again(send_text, clock):
    """The third sender's follow-up fails after the two before it in the batch wrote their messages: they are
    rolled back with it and added once each when answered again (on SQLite the rolled-back messages' ids are
    handed out again, to the rows written the second time)."""
    for phone in PHONES:
        acknowledged(send_text(REPORT, phone))
    assert process_inbox().answered == len(PHONES)
    poisoned = PHONES[2]
    conversation = db.session.scalars(select(SmsConversation).where(
        SmsConversation.phone_hash == phone_hash(poisoned))).one()
    conversation.state, conversation.pending_encrypted = ConversationState.AWAITING_DETAILS, b"not a fernet token"
    conversation.pending_since = clock.now
    db.session.commit()
    for phone in PHONES:
        acknowledged(send_text("They also took his phone and his shoes.", phone))
    report = process_inbox()
    assert report.answered == len(PHONES) - 1 and report.failed == MAX_ATTEMPTS and report.set_aside == 1
    db.session.expire_all()
    messages = db.session.scalars(select(CaseMessage)).all()
    assert len(messages) == len(PHONES) - 1
    assert len({message.case_id for message in messages}) == len(PHONES) - 1
    assert all(message.body == "They also took his phone and his shoes." for message in messages)
    assert verify_chain()[1] is None


def test_a_message_sid_answered_in_a_rolled_back_batch_is_answered_once_when_taken_again(send_text, clock):
    """A Twilio retry of a text whose batch was rolled back: the ledger holds nothing from the rolled-back
    attempt, so the text is answered once, not reported as a duplicate."""
    sid = new_sid()
    acknowledged(send_text(REPORT, PHONES[0], sid=sid))
    db.session.add(InboxText(message_sid=new_sid(), sender_hash=keyed_hash(SENDER_HASH_PURPOSE, PHONES[1]),
                             payload_encrypted=b"not a fernet token", attempts=0))
    db.session.commit()
    report = process_inbox()
    assert report.answered == 1 and report.set_aside == 1
    acknowledged(send_text(REPORT, PHONES[0], sid=sid))  # Twilio retries the answered text
    assert process_inbox().answered == 1  # the duplicate is caught by the MessageSid ledger
    assert len(replies_since(0, PHONES[0])) == 1 and count(Case) == 1



def test_a_batch_of_follow_ups_costs_a_few_statements_a_text(send_text, clock):
    """Budget: a follow-up is its MessageSid, the conversation's lock (with the opt-out, the language and the
    case waiting for an answer), the case, its message, event and audit entry, the conversation and the reply;
    a batch shares one claim, one insert of its outbox rows, one deletion and one link into the audit chain.
    A first report creates the conversation instead of locking it and stores and routes its case."""
    for phone in PHONES:
        acknowledged(send_text(REPORT, phone))
    statements, report = statements_during(process_inbox)
    assert report.answered == len(PHONES)
    batches = math.ceil(len(PHONES) / CLAIM_BATCH[db.engine.dialect.name])
    # Thirteen a report once the batch's first has read what is kept per process: the conversation created with
    # what the lock reads, the case's receipt check, the taxonomy's version, then in one savepoint (SAVEPOINT and
    # RELEASE) the case's INSERT with its route, its two events, reference, routing decision, first allegation,
    # queued relation proposal and contact; per batch as below (100 for six on PostgreSQL, 99 on SQLite; 106 and
    # 105 when routing was an UPDATE of the case in a savepoint of its own). Routed in the batch: no second
    # transaction a case.
    assert len(statements) <= 15 * len(PHONES) + 11 * batches + 1, statements
    for phone in PHONES:
        acknowledged(send_text("They also took his phone and his shoes.", phone))
    statements, report = statements_during(process_inbox)
    assert report.answered == len(PHONES)
    # Eight a text (seven on PostgreSQL, which inserts a batch's audit entries in one statement); per batch its
    # claim, outbox rows and deletion, the chain's lock and tip, the outside anchor's reads after the commit;
    # and the empty claim that ends the call.
    assert len(statements) <= 8 * len(PHONES) + 11 * batches + 1, statements
    assert all(len(replies_since(0, phone)) == 2 for phone in PHONES)


def lock_conversation(conn: Connection, number_hash: str) -> None:
    conn.execute(text("SELECT id FROM sms_conversations WHERE phone_hash = :hash FOR UPDATE"), {"hash": number_hash})


def waiting_for(conn: Connection, pid: int) -> int:
    """The backend waiting for a lock `pid` holds (polled: the waiter is another thread's connection)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        waiter = conn.scalar(text("SELECT pid FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"),
                             {"pid": pid})
        if waiter is not None:
            return waiter
        time.sleep(0.01)
    raise AssertionError(f"nobody came to wait for backend {pid}")


def answer_through_a_deadlock(app, first: str, second: str, third: str) -> tuple[object, list[str | None], int]:
    """process_inbox in another thread, its first batch (holding `first`'s conversation, then wanting `second`'s
    and `third`'s) failed by a real deadlock; returns its report, the SQLSTATEs raised and its commits.

    The transaction whose deadlock check runs first is the one failed. So that it is the batch's (checking 10 ms
    into its wait, the other transaction 10 s into its own), the other transaction must be waiting before the
    batch starts to wait for it: a holder of the second sender's conversation keeps the batch back until then."""
    errors: list[str | None] = []
    event.listen(db.engine, "handle_error",
                 lambda context: errors.append(getattr(context.original_exception, "sqlstate", None)))

    def work():
        with app.app_context():
            # In the claim's transaction, which is the batch's; the lock timeout only keeps a failure from hanging.
            db.session.execute(text("SET LOCAL deadlock_timeout = '10ms'; SET LOCAL lock_timeout = '10s'"))
            commits, report = commits_during(process_inbox)
            db.session.remove()
            return report, commits

    with (db.engine.connect() as other, db.engine.connect() as holder,
          db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watcher,
          ThreadPoolExecutor(2) as pool):
        other.execute(text("SET LOCAL deadlock_timeout = '10s'"))
        lock_conversation(other, phone_hash(third))
        lock_conversation(holder, phone_hash(second))
        worker = pool.submit(work)
        batch = waiting_for(watcher, holder.scalar(text("SELECT pg_backend_pid()")))  # it holds the first one
        took_first = pool.submit(lock_conversation, other, phone_hash(first))
        waiting_for(watcher, batch)
        holder.rollback()  # the batch goes on to the third conversation: a deadlock
        took_first.result(timeout=30)  # granted once the batch was rolled back
        other.rollback()
        report, commits = worker.result(timeout=30)
    return report, errors, commits


def idle_conversations(phones, clock) -> None:
    for phone in phones:
        db.session.add(SmsConversation(phone_hash=phone_hash(phone), phone_encrypted=encrypt_text(phone),
                                       state=ConversationState.IDLE, last_message_at=clock.now))
    db.session.commit()


@pytest.mark.postgres_only
@pytest.mark.skipif(not on_postgres(), reason="row locks and deadlock detection are PostgreSQL's")
def test_a_batch_that_loses_a_deadlock_is_answered_again_one_text_at_a_time(app, send_text, clock):
    """A real deadlock: the batch holds the first sender's conversation and waits for the third's, which another
    transaction holds while it waits for the first's. PostgreSQL fails the batch; its texts are then answered
    once each, one per transaction."""
    first, second, third = PHONES[:3]
    idle_conversations((first, second, third), clock)
    for phone in (first, second, third):
        acknowledged(send_text(REPORT, phone))
    report, errors, commits = answer_through_a_deadlock(app, first, second, third)
    assert errors == ["40P01"]  # deadlock_detected, raised in the batch
    assert report.answered == 3 and report.failed == 0
    assert commits == 3 + 1  # one a text, and the empty claim that ends the call
    db.session.expire_all()
    assert count(Case) == 3 and count(InboundSms) == 3 and count(InboxText) == 0
    assert all(len(replies_since(0, phone)) == 1 for phone in (first, second, third))
    assert verify_chain()[1] is None


@pytest.mark.postgres_only
@pytest.mark.skipif(not on_postgres(), reason="row locks and deadlock detection are PostgreSQL's")
def test_after_the_texts_of_a_batch_lost_to_a_deadlock_the_inbox_is_answered_in_batches_again(app, send_text, clock):
    """Only the texts of the batch that lost are answered one per transaction; the texts behind them go in
    batches again (before, every text of the rest of the call went one per transaction)."""
    batch = CLAIM_BATCH["postgresql"]
    phones = [f"+2327621{n:04d}" for n in range(2 * batch)]
    idle_conversations(phones[:3], clock)
    for phone in phones:
        acknowledged(send_text(REPORT, phone))
    report, errors, commits = answer_through_a_deadlock(app, *phones[:3])
    assert errors == ["40P01"]
    assert report.answered == len(phones) and report.failed == 0
    assert commits == batch + 1 + 1  # the lost batch's texts one each, then one batch, then the empty claim
    db.session.expire_all()
    assert count(Case) == len(phones) and count(InboxText) == 0
    assert all(len(replies_since(0, phone)) == 1 for phone in phones)
    assert verify_chain()[1] is None
