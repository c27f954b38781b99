"""A filed queued report leaves a tombstone (its row emptied) for FILED_KEPT: its unique key refuses a retry that
looked the key up just before the filing, so the request needs no look-up after its INSERT (that race:
test_intake_queued_edges). Tombstones hold no words, count as no waiting report and go after their time."""
from __future__ import annotations

import datetime as dt

from civicwatch.intake import queue
from tests.intake.test_intake_idempotency import open_form, send
from tests.intake.test_intake_queued_reports import (  # noqa: F401 - app_config: the fixture that queues reports
    app_config,
    cases,
    code_on,
    queued,
    receipt_page,
    tombstones,
    track,
)
from tests.sms.test_sms_set_aside_expiry import deliver_once_ok


def test_a_tombstone_goes_after_its_time_and_the_form_still_finds_its_case(client, clock):
    hidden = open_form(client)
    send(client, hidden)
    code = code_on(receipt_page(client))
    deliver_once_ok()
    [case] = cases()
    assert len(tombstones()) == 1

    clock.advance(seconds=(queue.FILED_KEPT - dt.timedelta(minutes=1)).total_seconds())
    deliver_once_ok()
    assert len(tombstones()) == 1  # younger than FILED_KEPT: kept
    clock.advance(minutes=2)
    deliver_once_ok()
    assert tombstones() == [] and queued() == []

    again = send(client, hidden)  # within the receipt's hour: the filed case's code, from submission_keys
    assert again.status_code == 303 and code_on(receipt_page(client)) == code
    assert cases() == [case] and queued() == []


def test_a_tombstone_is_no_waiting_report(client):
    send(client, open_form(client))
    code = code_on(receipt_page(client))
    deliver_once_ok()
    assert len(tombstones()) == 1

    assert queue.queue_state() == queue.QueueState(waiting=0, failed=0)
    assert queue.waiting_report(code) is None
    opened = track(client, code)  # the case's page, not "being filed"
    assert opened.status_code == 303 and opened.headers["Location"] == "/track/case"
    assert queue.file_queued_reports().filed == 0  # never claimed again
