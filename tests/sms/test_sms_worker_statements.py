"""What the worker's hot path asks the database, counted on the real database: the cap on automatic replies is one
count for a batch of texts, a follow-up reads its case once (under its lock), and the outbox looks a number's
opt-out up again before each send but the batch's first, whose claim has just read it. STATUS reads the phone's
cases with when each last moved."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from civicwatch.cases.models import Case, MessageKind
from civicwatch.extensions import db
from civicwatch.messaging.delivery import deliver_due_messages
from civicwatch.messaging.models import OutboundMessage
from civicwatch.messaging.operations import queue_sms
from civicwatch.messaging.senders import TwilioSender, get_sender, set_sender
from civicwatch.sms.inbox import process_inbox
from tests.messaging.recording_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, RecordingHttpClient
from tests.sms.conftest import acknowledged, answer_waiting_texts, replies_since, statements_during

REPORT = "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card."
PHONES = [f"+2327630{n:04d}" for n in range(3)]  # fewer than a batch on either database



def test_a_batch_counts_the_replies_owed_to_its_numbers_in_one_statement(send_text, clock):
    for phone in PHONES:
        acknowledged(send_text("HELP", phone))
    statements, report = statements_during(process_inbox)
    assert report.answered == len(PHONES)
    counts = [s for s in statements if re.match(r"SELECT .*count\(\*\).* FROM outbound_messages", s)]
    assert len(counts) == 1, counts
    assert all(len(replies_since(0, phone)) == 1 for phone in PHONES)


def test_a_batch_records_its_message_sids_in_one_statement_and_a_duplicate_gets_its_stored_reply(send_text, clock):
    sids = [f"SM{n:032x}" for n in range(len(PHONES))]
    for phone, sid in zip(PHONES, sids, strict=True):
        acknowledged(send_text("HELP", phone, sid=sid))
    statements, report = statements_during(process_inbox)
    assert report.answered == len(PHONES)
    assert len([s for s in statements if s.startswith("INSERT INTO inbound_sms ")]) == 1, statements
    # Twilio sends the first again, beside a new text: one reply each, the retried one nothing new.
    acknowledged(send_text("HELP", PHONES[0], sid=sids[0]))
    acknowledged(send_text("HELP", PHONES[1]))
    assert process_inbox().answered == 2
    assert [len(replies_since(0, phone)) for phone in PHONES] == [1, 2, 1]


def test_a_follow_up_reads_its_case_once(send_text, clock):
    acknowledged(send_text(REPORT))
    answer_waiting_texts()
    clock.advance(minutes=2)
    acknowledged(send_text("They also took his phone and his shoes."))
    statements, report = statements_during(process_inbox)
    assert report.answered == 1
    case_reads = [s for s in statements if s.startswith("SELECT cases.") and " FROM cases WHERE cases.id = " in s]
    assert len(case_reads) == 1, case_reads
    if db.engine.dialect.name == "postgresql":
        assert case_reads[0].endswith("FOR NO KEY UPDATE")
    case = db.session.scalars(db.select(Case)).one()
    assert [m.body for m in case.messages if m.kind is MessageKind.FROM_COMPLAINANT] == [
        "They also took his phone and his shoes."]


def test_status_reads_the_phones_cases_and_when_the_latest_last_moved_in_one_statement(send_text, clock):
    acknowledged(send_text(REPORT))
    answer_waiting_texts()
    clock.advance(hours=1)
    acknowledged(send_text("STATUS"))
    statements, report = statements_during(process_inbox)
    assert report.answered == 1
    assert not [s for s in statements if s.startswith("SELECT case_events.")], statements
    (reply,) = replies_since(0)[-1:]
    case = db.session.scalars(db.select(Case)).one()
    assert case.reference in reply.text


def test_the_outbox_looks_up_opt_outs_before_each_send_but_its_batchs_first(app, clock):
    http = RecordingHttpClient()
    set_sender(app, TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, http_client=http))
    for phone in PHONES:
        queue_sms(phone, "CivicWatch: your report CW-2026-000001 was sent to the police council.", "status")
    db.session.commit()
    statements, report = statements_during(lambda: deliver_due_messages(get_sender(app), "worker"))
    assert report.sent == len(PHONES) and len(http.accepted) == len(PHONES)
    # The claim reads the batch's numbers' opt-outs; then one look-up before each send after the first.
    lookups = [s for s in statements if s.startswith("SELECT ") and " FROM sms_opt_outs " in s]
    assert len(lookups) == len(PHONES) - 1, lookups


def test_on_postgresql_the_outbox_looks_opt_outs_up_on_one_connection_per_batch(app, clock):
    """Each look-up is one statement in autocommit on a connection the batch keeps, not a transaction of its own
    (a checkout and its ping, BEGIN, the read, ROLLBACK) per message."""
    http = RecordingHttpClient()
    set_sender(app, TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, http_client=http))
    for phone in PHONES:
        queue_sms(phone, "CivicWatch: your report CW-2026-000001 was sent to the police council.", "status")
    db.session.commit()
    checkouts: list[object] = []
    listener = lambda *args: checkouts.append(args)  # noqa: E731
    event.listen(db.engine.pool, "checkout", listener)
    try:
        report = deliver_due_messages(get_sender(app), "worker")
    finally:
        event.remove(db.engine.pool, "checkout", listener)
    assert report.sent == len(PHONES) and len(http.accepted) == len(PHONES)
    if db.engine.dialect.name == "postgresql":
        # The round's look at the kept statuses with the claim, the batch's look-ups, and its SIDs with the claim
        # that finds nothing left: three, however many messages the batch holds.
        assert len(checkouts) == 3, len(checkouts)


def test_the_outbox_claims_a_batch_with_its_opt_outs_in_one_statement_and_its_sids_with_the_early_statuses(
        app, clock):
    http = RecordingHttpClient()
    set_sender(app, TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, http_client=http))
    for phone in PHONES:
        queue_sms(phone, "CivicWatch: your report CW-2026-000001 was sent to the police council.", "status")
    db.session.commit()
    statements, report = statements_during(lambda: deliver_due_messages(get_sender(app), "worker"))
    assert report.sent == len(PHONES)
    # The claim returns the batch's messages with their numbers' opt-outs: no read of its own before or after it.
    claims = [s for s in statements if " UPDATE outbound_messages SET status=" in f" {s}" and " claimed_by=" in s
              and " FROM sms_opt_outs " in s]
    assert len(claims) == 2, statements  # the batch's, and the one that finds nothing left
    assert not [s for s in statements if s.startswith("SELECT outbound_messages.")], statements
    assert not [s for s in statements if s.startswith("SELECT sms_opt_outs.phone_hash ")]
    # The round's look at the kept statuses; storing the batch's SIDs says in its own statement that none is kept.
    early = [s for s in statements if s.startswith("SELECT early_delivery_statuses.")]
    assert len(early) == 1, early


def test_on_postgresql_a_full_batchs_sids_are_stored_in_a_statement_psycopg_keeps_parsed(app, clock):
    """psycopg parses a statement's text again each time when it has more than 50 parameters or 4 KB; the SIDs of a
    batch of 32 (16 sends in flight) are stored in one statement well under both."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("psycopg's cache of parsed statements: PostgreSQL only")
    app.config["OUTBOX_SEND_CONCURRENCY"] = 16
    http = RecordingHttpClient()
    set_sender(app, TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, http_client=http))
    phones = [f"+2327631{n:04d}" for n in range(32)]
    for phone in phones:
        queue_sms(phone, "CivicWatch: your report CW-2026-000001 was sent to the police council.", "status")
    db.session.commit()
    executed: list[tuple[str, object]] = []
    listener = lambda conn, cursor, statement, parameters, *args: executed.append((statement, parameters))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        report = deliver_due_messages(get_sender(app), "worker")
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert report.sent == len(phones) and len(http.accepted) == len(phones)
    stores = [(statement, parameters) for statement, parameters in executed
              if re.match(r"\s*UPDATE outbound_messages SET .*provider_sid=", statement, re.S)]
    assert len(stores) == 1, stores
    statement, parameters = stores[0]
    assert len(parameters) <= 50 and len(statement.encode()) <= 4096, (len(parameters), len(statement))
    stored = db.session.execute(select(OutboundMessage.provider_sid).where(OutboundMessage.provider_sid.is_not(None)))
    assert sorted(sid for (sid,) in stored) == sorted(request.sid for request in http.accepted)


def test_a_phones_first_text_and_a_batchs_message_sids_are_inserted_by_statements_compiled_once(send_text, clock):
    """Their INSERT ... ON CONFLICT DO NOTHING statements are built once; SQLAlchemy's dialect INSERT constructs
    have no cache key, so built with them each would be compiled again at every text (about 0.6 ms here)."""
    def cache_of_inserts(action) -> list[tuple[str, object]]:
        seen: list[tuple[str, object]] = []

        def listener(conn, cursor, statement, parameters, context, executemany) -> None:
            if statement.lstrip().startswith(("INSERT INTO sms_conversations", "INSERT INTO inbound_sms")):
                seen.append((statement.split("(")[0].strip(), context.cache_hit))

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            action()
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return seen

    for phones in (PHONES, [f"+2327632{n:04d}" for n in range(3)]):
        for phone in phones:
            acknowledged(send_text("HELP", phone))
        seen = cache_of_inserts(process_inbox)
        assert sorted(name for name, _ in seen) == ["INSERT INTO inbound_sms"] + ["INSERT INTO sms_conversations"] * 3
    # The second batch's were compiled by the first.
    assert {str(hit) for _, hit in seen} == {"CacheStats.CACHE_HIT"}, seen
