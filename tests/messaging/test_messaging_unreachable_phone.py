"""A text the carrier could not deliver because the phone was switched off or out of reach (Twilio error 30003)
is sent again later, a few times, within the message's maximum age: the citizen who switched the phone off to
save its battery still gets the receipt code. Other carrier failures stay final until an admin retries."""
from __future__ import annotations

import datetime as dt

from civicwatch.extensions import db
from civicwatch.messaging.delivery import deliver_due_messages
from civicwatch.messaging.models import OutboundMessage, OutboxStatus
from civicwatch.messaging.operations import queue_sms, record_opt_out
from civicwatch.messaging.senders import get_sender
from civicwatch.phones import phone_hash
from tests.messaging.test_messaging_outbox import PHONE, callback, reloaded

RECEIPT = "CivicWatch: your report CW-2026-000001 was received. Your receipt code is 1111 2222 3333 4444."


def sent_once(app) -> int:
    message_id = queue_sms(PHONE, RECEIPT, "acknowledgement").id
    db.session.commit()
    assert deliver_due_messages(get_sender(app), "worker").sent == 1
    return message_id


def sends_of_receipt(twilio_http) -> int:
    return [request.data["Body"] for request in twilio_http.accepted].count(RECEIPT)


def test_a_text_to_a_switched_off_phone_is_sent_again_after_a_wait(app, client, twilio_http, clock):
    message_id = sent_once(app)
    first_sid = reloaded(message_id).provider_sid
    assert callback(client, first_sid, "undelivered", "30003").status_code == 204

    waiting = reloaded(message_id)
    assert waiting.status is OutboxStatus.PENDING and waiting.provider_sid is None
    assert waiting.last_error_code == 30003
    assert waiting.next_attempt_at == clock.now + dt.timedelta(minutes=15)

    clock.advance(minutes=14)
    deliver_due_messages(get_sender(app), "worker")
    assert sends_of_receipt(twilio_http) == 1  # not before its time

    clock.advance(minutes=2)
    assert deliver_due_messages(get_sender(app), "worker").sent == 1
    again = reloaded(message_id)
    assert sends_of_receipt(twilio_http) == 2
    assert again.status is OutboxStatus.SENT and again.provider_sid not in (None, first_sid)


def test_the_waits_grow_and_the_text_fails_after_four_tries(app, client, twilio_http, clock):
    message_id = sent_once(app)
    waits = []
    for _ in range(3):
        callback(client, reloaded(message_id).provider_sid, "undelivered", "30003")
        waiting = reloaded(message_id)
        assert waiting.status is OutboxStatus.PENDING
        waits.append(waiting.next_attempt_at - clock.now)
        clock.advance(seconds=waits[-1].total_seconds() + 1)
        assert deliver_due_messages(get_sender(app), "worker").sent == 1
    assert waits == [dt.timedelta(minutes=15), dt.timedelta(hours=1), dt.timedelta(hours=4)]

    callback(client, reloaded(message_id).provider_sid, "undelivered", "30003")
    final = reloaded(message_id)
    assert final.status is OutboxStatus.FAILED and final.attempts == 4 and final.provider_sid is not None
    clock.advance(days=1)
    deliver_due_messages(get_sender(app), "worker")
    assert sends_of_receipt(twilio_http) == 4


def test_no_try_is_planned_past_the_messages_maximum_age(app, client, twilio_http, clock):
    message_id = sent_once(app)
    message = reloaded(message_id)
    message.retry_until = clock.now + dt.timedelta(minutes=10)  # owed 47 h 50 min ago
    db.session.commit()
    callback(client, message.provider_sid, "undelivered", "30003")
    assert reloaded(message_id).status is OutboxStatus.FAILED


def test_twilio_repeating_the_callback_makes_one_more_send_not_two(app, client, twilio_http, clock):
    message_id = sent_once(app)
    sid = reloaded(message_id).provider_sid
    assert callback(client, sid, "undelivered", "30003").status_code == 204
    assert callback(client, sid, "undelivered", "30003").status_code == 204  # Twilio's retry of its callback
    clock.advance(minutes=16)
    deliver_due_messages(get_sender(app), "worker")
    clock.advance(hours=2)
    deliver_due_messages(get_sender(app), "worker")
    assert sends_of_receipt(twilio_http) == 2
    assert reloaded(message_id).status is OutboxStatus.SENT


def test_a_number_that_texts_stop_while_waiting_gets_nothing_more(app, client, twilio_http, clock):
    message_id = sent_once(app)
    callback(client, reloaded(message_id).provider_sid, "undelivered", "30003")
    record_opt_out(phone_hash(PHONE), "keyword")
    db.session.commit()
    clock.advance(minutes=16)
    deliver_due_messages(get_sender(app), "worker")
    assert sends_of_receipt(twilio_http) == 1
    assert reloaded(message_id).status is OutboxStatus.CANCELLED


def test_other_carrier_failures_stay_final(app, client, twilio_http, clock):
    message_id = sent_once(app)
    callback(client, reloaded(message_id).provider_sid, "undelivered", "30005")  # unknown number
    assert reloaded(message_id).status is OutboxStatus.FAILED
    clock.advance(hours=5)
    deliver_due_messages(get_sender(app), "worker")
    assert sends_of_receipt(twilio_http) == 1


def test_a_delivered_text_is_never_sent_again_whatever_comes_after(app, client, twilio_http, clock):
    message_id = sent_once(app)
    sid = reloaded(message_id).provider_sid
    callback(client, sid, "delivered")
    callback(client, sid, "undelivered", "30003")  # late, out of order
    clock.advance(hours=1)
    deliver_due_messages(get_sender(app), "worker")
    assert reloaded(message_id).status is OutboxStatus.DELIVERED and sends_of_receipt(twilio_http) == 1


def test_nothing_else_in_the_outbox_moves(app, client, twilio_http, clock):
    message_id = sent_once(app)
    other = queue_sms("+23277654321", "CivicWatch: your report CW-2026-000002 was received.", "acknowledgement").id
    db.session.commit()
    deliver_due_messages(get_sender(app), "worker")
    callback(client, reloaded(message_id).provider_sid, "undelivered", "30003")
    assert reloaded(other).status is OutboxStatus.SENT
    assert db.session.get(OutboundMessage, other).attempts == 1
