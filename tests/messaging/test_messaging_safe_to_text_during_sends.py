"""A "not safe to text" stored while the worker is part-way through a batch: the texts we started to that number
that the batch still holds are not sent (read again just before each send, in the opt-out's look-up: no statement
more), and a reply to the citizen's own text still goes. Over Twilio's recorded HTTP."""
from __future__ import annotations

import re

from civicwatch.extensions import db
from civicwatch.messaging.delivery import deliver_due_messages
from civicwatch.messaging.models import OutboxStatus
from civicwatch.messaging.operations import queue_sms, set_safe_to_text
from civicwatch.messaging.queries import NOT_SAFE_NOTE
from civicwatch.messaging.senders import TwilioSender, get_sender, set_sender
from civicwatch.sms.inbox import TEXT_REPLY
from tests.messaging.conftest import PUBLIC_BASE_URL
from tests.messaging.recording_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, RecordingHttpClient
from tests.sms.conftest import statements_during

PHONE = "+23276123456"
SHARED_PHONE = "+23277654321"
THIRD_PHONE = "+23278000111"


class NoDuringFirstSend(RecordingHttpClient):
    """While Twilio takes the batch's first message, the owner of SHARED_PHONE says on the follow-up page that
    others read it (another process: a session of its own, committed)."""

    def __init__(self, app) -> None:
        super().__init__()
        self.app, self.done = app, False

    def request(self, method, uri, **kwargs):
        if not self.done:
            self.done = True
            with self.app.app_context():
                assert set_safe_to_text(SHARED_PHONE, False, "follow_up", None)
                db.session.commit()
        return super().request(method, uri, **kwargs)


def sender_over(app, http: RecordingHttpClient) -> None:
    set_sender(app, TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, status_callback=PUBLIC_BASE_URL + "/sms/status",
                                 http_client=http))


def test_a_no_stored_during_the_batch_holds_back_the_news_we_started_but_not_a_reply(app, clock):
    # The "no" comes while the first send is in flight, before the second starts: one send at a time (with several in
    # flight, test_messaging_sends_in_flight.py holds the same for the sends not started).
    app.config["OUTBOX_SEND_CONCURRENCY"] = 1
    http = NoDuringFirstSend(app)
    sender_over(app, http)
    queue_sms(PHONE, "CivicWatch: your report CW-2026-000001 was sent to the police council.", "status")
    news = queue_sms(SHARED_PHONE, "CivicWatch: your report CW-2026-000002 is being investigated.", "status")
    reply = queue_sms(THIRD_PHONE, "CivicWatch: ready for a new report. Text what happened.", TEXT_REPLY)
    db.session.commit()
    report = deliver_due_messages(get_sender(app), "worker")
    to_shared = [request.data["Body"] for request in http.accepted if request.data["To"] == SHARED_PHONE]
    assert to_shared == [], to_shared
    db.session.refresh(news)
    assert news.status is OutboxStatus.CANCELLED and news.last_error == NOT_SAFE_NOTE
    assert report.sent == 2 and report.cancelled == 1
    db.session.refresh(reply)
    assert reply.status is OutboxStatus.SENT


def test_a_reply_to_the_citizen_s_own_text_still_goes_after_a_no_during_the_batch(app, clock):
    app.config["OUTBOX_SEND_CONCURRENCY"] = 1  # as above: the "no" comes before the second send starts
    http = NoDuringFirstSend(app)
    sender_over(app, http)
    queue_sms(PHONE, "CivicWatch: your report CW-2026-000001 was sent to the police council.", "status")
    reply = queue_sms(SHARED_PHONE, "CivicWatch: ready for a new report. Text what happened.", TEXT_REPLY)
    db.session.commit()
    deliver_due_messages(get_sender(app), "worker")
    assert [request.data["To"] for request in http.accepted] == [PHONE, SHARED_PHONE]
    db.session.refresh(reply)
    assert reply.status is OutboxStatus.SENT


def test_the_re_check_costs_no_statement_more_than_the_opt_out_s(app, clock):
    http = RecordingHttpClient()
    sender_over(app, http)
    phones = [f"+2327630{n:04d}" for n in range(3)]
    for phone in phones:
        queue_sms(phone, "CivicWatch: your report CW-2026-000001 was sent to the police council.", "status")
    db.session.commit()
    statements, report = statements_during(lambda: deliver_due_messages(get_sender(app), "worker"))
    assert report.sent == len(phones)
    reads = [s for s in statements if s.startswith("SELECT ") and re.search(r"\bFROM (sms_opt_outs|not_safe_to_text)\b", s)]
    # One look-up before each send but the batch's first, which its claim has just read; each reads both.
    assert len(reads) == len(phones) - 1, reads
    assert all(" FROM sms_opt_outs " in s and " FROM not_safe_to_text " in s for s in reads), reads
