"""Twilio retries arriving at once, and several workers answering the inbox at once: one case, one reply."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text

from civicwatch.cases.models import Case, CaseMessage
from civicwatch.extensions import db
from civicwatch.sms.inbox import process_inbox
from civicwatch.sms.models import InboundSms, InboxText, SmsConversation
from tests.conftest import on_postgres, terminate_the_raw_statements_connections
from tests.sms.conftest import PHONE, acknowledged, answer_waiting_texts, new_sid, replies_since, sign

REPORT = "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card."
DETAILS = ["It was on Tuesday around 7 in the evening.", "His name is Musa, he is 17.",
           "Two of them wore uniforms, one did not."]


def post_together(app, bodies: list[tuple[str, str, str]]) -> list:
    """Send (sid, phone, body) texts from separate threads, released at the same moment."""
    barrier = threading.Barrier(len(bodies))

    def post(item: tuple[str, str, str]):
        sid, phone, body = item
        params = {"MessageSid": sid, "From": phone, "To": "+15005550006", "Body": body}
        client = app.test_client()
        with app.app_context():  # this thread's own context and database session
            barrier.wait()
            return client.post("/sms/inbound", data=params,
                               headers={"X-Twilio-Signature": sign("/sms/inbound", params)})

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(post, bodies))


def run_workers(app, count: int) -> list[int]:
    """`count` workers answering the inbox side by side, each with its own session; texts each answered."""
    barrier = threading.Barrier(count)

    def work(_: int) -> int:
        with app.app_context():
            barrier.wait()
            report = process_inbox(limit=1000)
            db.session.remove()
            assert report.failed == 0, report
            return report.answered

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(work, range(count)))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_concurrent_retries_of_one_message_sid_are_kept_once_and_answered_once(app):
    sid = new_sid()
    for response in post_together(app, [(sid, PHONE, REPORT)] * 8):
        acknowledged(response)
    db.session.expire_all()
    assert count(InboxText) == 1
    answer_waiting_texts()
    replies = replies_since(0)
    assert len(replies) == 1 and "receipt code" in replies[0].text
    assert count(Case) == 1 and count(InboundSms) == 1 and count(InboxText) == 0


def test_workers_side_by_side_answer_every_text_once_and_each_phone_in_order(app):
    phones = [f"+2327610{n:04d}" for n in range(8)]
    texts = [(new_sid(), phone, body) for phone in phones for body in [REPORT, *DETAILS]]
    for sid, phone, body in texts:  # in order per phone, as Twilio delivers them
        acknowledged(app.test_client().post("/sms/inbound", data=(params := {
            "MessageSid": sid, "From": phone, "To": "+15005550006", "Body": body}),
            headers={"X-Twilio-Signature": sign("/sms/inbound", params)}))
    answered = run_workers(app, 3)
    db.session.expire_all()
    assert sum(answered) == len(texts) and count(InboxText) == 0
    # One case per phone, with every detail added to it, in the order it was sent.
    assert count(Case) == len(phones) and count(SmsConversation) == len(phones)
    for case in db.session.scalars(select(Case)):
        added = db.session.scalars(select(CaseMessage.body).where(CaseMessage.case_id == case.id)
                                   .order_by(CaseMessage.id)).all()
        assert added == DETAILS
    for phone in phones:
        replies = [reply.text for reply in replies_since(0, phone)]
        assert len(replies) == 1 + len(DETAILS)
        assert replies[0].startswith("CivicWatch: report CW-") and all("added" in reply for reply in replies[1:])


@pytest.mark.postgres_only
@pytest.mark.skipif(not on_postgres(), reason="FOR UPDATE SKIP LOCKED is PostgreSQL's")
def test_a_worker_skips_a_locked_text_and_the_later_texts_of_its_sender(app, send_text):
    """While one worker holds a phone's first text, another worker answers other phones, not its second."""
    for body, phone in [("HELP", PHONE), ("HELP", PHONE), ("HELP", "+23277654321")]:
        acknowledged(send_text(body, phone))
    first_id = db.session.scalar(select(func.min(InboxText.id)))
    with db.engine.connect() as holder:
        holder.execute(text("SELECT id FROM sms_inbox WHERE id = :id FOR UPDATE"), {"id": first_id})

        def work() -> int:
            with app.app_context():
                db.session.execute(text("SET LOCAL lock_timeout = '2s'"))
                return process_inbox().answered

        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(work).result(timeout=10) == 1  # only the other phone's text
        holder.rollback()
    db.session.expire_all()
    assert count(InboxText) == 2
    answer_waiting_texts()
    assert count(InboxText) == 0 and len(replies_since(0)) == 2 and len(replies_since(0, "+23277654321")) == 1


@pytest.mark.postgres_only
@pytest.mark.skipif(not on_postgres(), reason="terminates a PostgreSQL backend")
def test_the_webhook_writes_through_connections_the_server_dropped(app, send_text):
    """The webhook's pool skips the pre-ping: after a restart every pooled connection is dead, and the text
    is still kept (the idle connections are thrown away and a fresh one is used)."""
    terminate_the_raw_statements_connections()
    for _ in range(3):
        acknowledged(send_text("HELP"))
    assert count(InboxText) == 3
