"""Twilio retries arriving at the same time: one case, one stored reply, the same answer to every retry."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from civicwatch.sms.models import InboundSms, SmsConversation
from tests.sms.conftest import PHONE, new_sid, reply_of, sign

REPORT = "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card."


def post_together(app, bodies: list[tuple[str, str]], phone: str = PHONE) -> list:
    """Send (sid, body) texts from separate threads, released at the same moment."""
    barrier = threading.Barrier(len(bodies))

    def post(item: tuple[str, str]):
        sid, body = item
        params = {"MessageSid": sid, "From": phone, "To": "+15005550006", "Body": body}
        client = app.test_client()
        with app.app_context():  # this thread's own context and database session
            barrier.wait()
            return client.post("/sms/inbound", data=params,
                               headers={"X-Twilio-Signature": sign("/sms/inbound", params)})

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(post, bodies))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_concurrent_retries_of_one_message_sid_make_one_case_and_one_reply(app):
    sid = new_sid()
    responses = post_together(app, [(sid, REPORT)] * 8)
    replies = {reply_of(response) for response in responses}
    assert len(replies) == 1 and "receipt code" in replies.pop()
    db.session.expire_all()
    assert count(Case) == 1 and count(InboundSms) == 1


def test_concurrent_first_texts_from_one_phone_share_one_conversation(app):
    responses = post_together(app, [(new_sid(), "HELP") for _ in range(6)])
    assert all(reply_of(response).startswith("CivicWatch: to report") for response in responses)
    db.session.expire_all()
    assert count(SmsConversation) == 1 and count(InboundSms) == 6
