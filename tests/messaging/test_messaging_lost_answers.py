"""A send whose answer from Twilio was lost: Twilio accepted the text, but the worker never learnt its SID (a read
timeout after acceptance, or a worker killed before it recorded the SID). The text must not reach the citizen a
second time: the status callback Twilio makes for it, or a look at Twilio's list of messages before any send
again, finds it. Twilio's servers are the recording HttpClient; nothing of ours is mocked."""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator

from civicwatch.accounts.models import Role
from civicwatch.extensions import db
from civicwatch.messaging.delivery import (
    DeliveryReport,
    UnrecordedSends,
    claim_next_message,
    deliver_due_messages,
    deliver_message,
    record_sent,
)
from civicwatch.messaging.models import OutboundMessage, OutboxStatus
from civicwatch.messaging.operations import queue_sms
from civicwatch.messaging.senders import TwilioSender, get_sender, set_sender
from civicwatch.messaging.whatsapp import reopen_session
from civicwatch.phones import WHATSAPP, contact_hash
from tests.conftest import csrf_token_from
from tests.messaging.recording_twilio import (
    ACCEPT_THEN_TIMEOUT,
    ACCOUNT_SID,
    AUTH_TOKEN,
    CONNECT_FAILURE,
    FROM_NUMBER,
    TIMEOUT,
    Fail,
    RecordedRequest,
    RecordingHttpClient,
)

PHONE = "+23276123456"
TEXT = "CivicWatch: the investigator closed your report CW-2026-000042. Reply RATE 1-5."
WHATSAPP_FROM = "whatsapp:+14155238886"


def queue_one(text: str = TEXT, channel: str = "sms") -> int:
    message_id = queue_sms(PHONE, text, "status", channel=channel).id
    db.session.commit()
    return message_id


def row(message_id: int) -> OutboundMessage:
    return db.session.get(OutboundMessage, message_id, populate_existing=True)


def deliver(app, worker: str = "worker-a") -> DeliveryReport:
    return deliver_due_messages(get_sender(app), worker)


def status_callback(client: FlaskClient, sent: RecordedRequest, status: str, **extra: str):
    """What Twilio does: POST the message's status to the StatusCallback URL it was given, signed over that whole
    URL (query included) and the form."""
    url = sent.data["StatusCallback"]
    params = {"MessageSid": sent.sid or "", "MessageStatus": status, "AccountSid": ACCOUNT_SID,
              "To": sent.data["To"], "From": sent.data["From"], **extra}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    parts = urlsplit(url)
    return client.post(parts.path + ("?" + parts.query if parts.query else ""), data=params,
                       headers={"X-Twilio-Signature": signature})


def test_a_text_twilio_accepted_whose_answer_timed_out_is_not_sent_again(app, twilio_http, clock):
    message_id = queue_one()
    twilio_http.script.append(ACCEPT_THEN_TIMEOUT)
    deliver(app)
    clock.advance(minutes=10)
    deliver(app)
    clock.advance(hours=1)
    deliver(app)
    (sent,) = twilio_http.requests  # one text reached the citizen: no second create
    assert row(message_id).status is OutboxStatus.SENT and row(message_id).provider_sid == sent.sid


def test_a_worker_killed_after_twilio_accepted_leaves_a_claim_that_is_reconciled_not_resent(
        app, twilio_http, clock):
    message_id = queue_one()
    claimed = claim_next_message("worker-that-dies")
    db.session.commit()
    assert deliver_message(claimed, get_sender(app), "worker-that-dies", DeliveryReport()) is not None
    # ... and the process ends: nothing after the send runs, the SID is never recorded.
    db.session.rollback()
    assert deliver(app, "worker-b").handled == 0  # the claim is still fresh
    clock.advance(minutes=10)
    report = deliver(app, "worker-b")
    (sent,) = twilio_http.requests
    assert report.sent == 1 and report.errors == []
    stored = row(message_id)
    assert stored.status is OutboxStatus.SENT and stored.provider_sid == sent.sid and stored.claimed_by is None
    clock.advance(hours=1)
    assert deliver(app, "worker-c").handled == 0 and len(twilio_http.requests) == 1


def test_the_status_callback_of_a_send_whose_answer_was_lost_records_its_sid(app, client, twilio_http, clock):
    message_id = queue_one()
    twilio_http.script.append(ACCEPT_THEN_TIMEOUT)
    deliver(app)
    (sent,) = twilio_http.requests
    assert status_callback(client, sent, "sent").status_code == 204
    stored = row(message_id)
    assert stored.status is OutboxStatus.SENT and stored.provider_sid == sent.sid
    clock.advance(hours=1)
    assert deliver(app).handled == 0
    assert len(twilio_http.requests) == 1 and twilio_http.list_requests == []  # nothing left to ask about


def test_the_status_callback_of_a_killed_worker_s_send_records_its_sid_before_the_claim_goes_stale(
        app, client, twilio_http, clock):
    message_id = queue_one()
    claimed = claim_next_message("worker-that-dies")
    db.session.commit()
    deliver_message(claimed, get_sender(app), "worker-that-dies", DeliveryReport())
    db.session.rollback()
    (sent,) = twilio_http.requests
    assert status_callback(client, sent, "delivered").status_code == 204
    stored = row(message_id)
    assert stored.status is OutboxStatus.DELIVERED and stored.provider_sid == sent.sid and stored.claimed_by is None
    clock.advance(hours=1)
    assert deliver(app, "worker-b").handled == 0
    assert len(twilio_http.requests) == 1 and twilio_http.list_requests == []


def test_a_status_callback_after_the_reconciliation_updates_the_reconciled_message(app, client, twilio_http, clock):
    message_id = queue_one()
    twilio_http.script.append(ACCEPT_THEN_TIMEOUT)
    deliver(app)
    clock.advance(minutes=10)
    deliver(app)  # asks Twilio, finds the text, records its SID
    (sent,) = twilio_http.requests
    assert row(message_id).provider_sid == sent.sid
    assert status_callback(client, sent, "delivered").status_code == 204
    assert row(message_id).status is OutboxStatus.DELIVERED and len(twilio_http.requests) == 1


def test_a_reconciled_message_takes_the_status_twilio_lists_for_it(app, twilio_http, clock):
    message_id = queue_one()
    twilio_http.script.append(ACCEPT_THEN_TIMEOUT)
    deliver(app)
    (sent,) = twilio_http.requests
    twilio_http.statuses[sent.sid or ""] = "delivered"
    clock.advance(minutes=10)
    deliver(app)
    assert row(message_id).status is OutboxStatus.DELIVERED and len(twilio_http.requests) == 1


def test_a_timed_out_send_twilio_never_accepted_is_sent_again_after_a_look(app, twilio_http, clock):
    """Twilio lists nothing for it: the text is owed, and sent."""
    message_id = queue_one()
    twilio_http.script.append(TIMEOUT)
    deliver(app)
    assert row(message_id).status is OutboxStatus.PENDING
    clock.advance(minutes=10)
    deliver(app)
    assert [request.outcome for request in twilio_http.requests] == ["timeout", "accepted"]
    assert len(twilio_http.list_requests) == 1
    assert row(message_id).status is OutboxStatus.SENT and row(message_id).provider_sid == twilio_http.accepted[0].sid


def test_while_twilio_cannot_be_asked_the_text_waits_rather_than_risk_a_second_send(app, twilio_http, clock):
    message_id = queue_one()
    twilio_http.script.append(ACCEPT_THEN_TIMEOUT)
    deliver(app)
    twilio_http.list_script.extend([CONNECT_FAILURE, TIMEOUT, Fail(500, 20500)])
    for _ in range(3):
        clock.advance(minutes=30)
        report = deliver(app)
        assert report.retrying == 1 and report.sent == 0
        assert row(message_id).status is OutboxStatus.PENDING
    assert len(twilio_http.requests) == 1 and len(twilio_http.list_requests) == 3
    assert "could not ask Twilio" in (row(message_id).last_error or "")
    clock.advance(hours=2)  # Twilio answers again: the text is found, not sent again
    deliver(app)
    (sent,) = twilio_http.requests
    assert row(message_id).status is OutboxStatus.SENT and row(message_id).provider_sid == sent.sid


def in_doubt_until_the_maximum_age(app, twilio_http, clock) -> int:
    """A text whose answer was lost, and Twilio not to be asked for the next 60 hours of the worker's turns."""
    message_id = queue_one()
    twilio_http.script.append(ACCEPT_THEN_TIMEOUT)
    deliver(app)
    twilio_http.list_script.extend([CONNECT_FAILURE] * 1000)
    for _ in range(60):
        clock.advance(hours=1)
        deliver(app)
    return message_id


def test_when_twilio_cannot_be_asked_until_the_maximum_age_an_admin_decides(app, twilio_http, clock):
    message_id = in_doubt_until_the_maximum_age(app, twilio_http, clock)
    stored = row(message_id)
    assert stored.status is OutboxStatus.FAILED and stored.provider_sid is None
    assert "may have been sent" in (stored.last_error or "")
    assert len(twilio_http.requests) == 1


def test_a_whatsapp_message_whose_answer_was_lost_is_found_on_whatsapp_and_not_sent_again(app, client, clock):
    http = RecordingHttpClient()
    set_sender(app, TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, http_client=http, whatsapp_from=WHATSAPP_FROM,
                                 status_callback="https://civicwatch.example.org/sms/status"))
    reopen_session(contact_hash(PHONE, WHATSAPP), clock.now)
    first, second = queue_one(channel=WHATSAPP), queue_one("CivicWatch: a second update.", channel=WHATSAPP)
    http.script.extend([ACCEPT_THEN_TIMEOUT, ACCEPT_THEN_TIMEOUT])
    deliver(app)
    clock.advance(minutes=10)
    deliver(app)  # the first is found by a look at Twilio's list; the second is sent (and its answer lost)
    (listed,) = http.list_requests
    assert listed.data["To"] == "whatsapp:" + PHONE and listed.data["From"] == WHATSAPP_FROM
    assert row(first).provider_sid == http.requests[0].sid
    assert status_callback(client, http.requests[1], "read").status_code == 204  # the second, by its callback
    clock.advance(hours=1)
    deliver(app)
    assert [request.data["Body"] for request in http.requests] == [TEXT, "CivicWatch: a second update."]
    assert row(second).status is OutboxStatus.DELIVERED and row(second).provider_sid == http.requests[1].sid


def test_the_number_and_the_text_stay_out_of_the_logs_while_a_lost_answer_is_found(app, twilio_http, clock, caplog):
    caplog.set_level(logging.DEBUG)
    queue_one()
    twilio_http.script.append(ACCEPT_THEN_TIMEOUT)
    deliver(app)
    twilio_http.list_script.append(CONNECT_FAILURE)
    clock.advance(minutes=10)
    deliver(app)
    clock.advance(hours=1)
    deliver(app)
    assert len(twilio_http.list_requests) == 2 and len(twilio_http.requests) == 1
    assert PHONE not in caplog.text and PHONE[1:] not in caplog.text and "CW-2026-000042" not in caplog.text


def test_the_callback_s_outbox_and_claim_are_covered_by_twilio_s_signature(app, client, twilio_http, clock):
    first, second = queue_one(), queue_one("CivicWatch: another update.")
    twilio_http.script.append(ACCEPT_THEN_TIMEOUT)
    deliver(app)
    (sent,) = twilio_http.requests
    url = sent.data["StatusCallback"]
    params = {"MessageSid": sent.sid or "", "MessageStatus": "sent", "AccountSid": ACCOUNT_SID}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    forged = urlsplit(url).path + "?" + urlsplit(url).query.replace(f"outbox={first}", f"outbox={second}")
    assert client.post(forged, data=params, headers={"X-Twilio-Signature": signature}).status_code == 403
    unsigned_query = RequestValidator(AUTH_TOKEN).compute_signature(url.split("?")[0], params)
    assert client.post(forged, data=params, headers={"X-Twilio-Signature": unsigned_query}).status_code == 403
    assert row(first).provider_sid is None and row(second).provider_sid is None


def test_a_signed_callback_whose_reference_is_malformed_is_refused_with_400(client, twilio_http):
    for query in ("outbox=1", "claim=5", "outbox=x&claim=5", "outbox=1&claim=" + "9" * 30, "outbox=-1&claim=5"):
        url = "https://civicwatch.example.org/sms/status?" + query
        params = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "sent"}
        signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
        response = client.post("/sms/status?" + query, data=params, headers={"X-Twilio-Signature": signature})
        assert response.status_code == 400, query


def test_a_late_callback_of_a_send_twilio_gave_up_on_does_not_mark_the_new_send_sent(app, client, twilio_http, clock):
    """The phone was off: the SID is cleared and the text owed again. The old send's callbacks name the row, but
    a claim from before: they must not stop the new send."""
    message_id = queue_one()
    deliver(app)
    (first,) = twilio_http.requests
    assert status_callback(client, first, "undelivered", ErrorCode="30003").status_code == 204
    assert row(message_id).status is OutboxStatus.PENDING and row(message_id).provider_sid is None
    assert status_callback(client, first, "sent").status_code == 204  # late, out of order
    assert row(message_id).provider_sid is None and row(message_id).status is OutboxStatus.PENDING
    clock.advance(minutes=20)
    deliver(app)
    assert len(twilio_http.requests) == 2 and twilio_http.list_requests == []
    assert row(message_id).provider_sid == twilio_http.requests[1].sid


def test_a_callback_that_records_the_sid_before_the_worker_does_is_not_an_error(app, client, twilio_http, clock,
                                                                                 caplog):
    message_id = queue_one()
    claimed = claim_next_message("worker-a")
    db.session.commit()
    report = DeliveryReport()
    sent = deliver_message(claimed, get_sender(app), "worker-a", report)
    assert sent is not None
    db.session.rollback()
    assert status_callback(client, twilio_http.requests[0], "delivered").status_code == 204
    record_sent(sent, report, UnrecordedSends())
    assert report.sent == 1 and report.lost_claims == 0
    assert row(message_id).status is OutboxStatus.DELIVERED and row(message_id).provider_sid == sent.provider_sid
    assert "ERROR" not in [record.levelname for record in caplog.records]


def test_a_found_send_whose_sid_another_row_holds_is_not_taken(app, twilio_http, clock):
    """Two rows owing the same words to one number: the earlier, recorded send is not the later one's."""
    earlier = queue_one()
    deliver(app)
    clock.advance(seconds=30)
    later = queue_one()
    twilio_http.script.append(TIMEOUT)  # refused outright: Twilio holds only the earlier one
    deliver(app)
    clock.advance(minutes=10)
    deliver(app)
    assert len(twilio_http.accepted) == 2 and len(twilio_http.list_requests) == 1
    assert row(earlier).provider_sid == twilio_http.accepted[0].sid
    assert row(later).provider_sid == twilio_http.accepted[1].sid


def test_an_admin_s_retry_of_a_text_that_may_have_been_sent_asks_twilio_first(
        app, client, twilio_http, clock, make_user, login_as):
    message_id = in_doubt_until_the_maximum_age(app, twilio_http, clock)
    assert row(message_id).status is OutboxStatus.FAILED
    login_as(make_user(Role.ADMIN))
    token = csrf_token_from(client.get("/staff/outbox/").get_data(as_text=True))
    assert client.post(f"/staff/outbox/{message_id}/retry", data={"csrf_token": token}).status_code == 302
    twilio_http.list_script.clear()
    deliver(app)
    (sent,) = twilio_http.requests
    assert row(message_id).status is OutboxStatus.SENT and row(message_id).provider_sid == sent.sid
