"""Web reports queued for the worker (WEB_REPORTS_QUEUED): the request stores the report as sent, encrypted, and
shows its receipt code; `deliver` files it as a case with that code, counted from when it came. A retry finds it
queued or filed, never makes a second; a report that cannot be filed stays, never dropped; one with files is filed
at once."""
from __future__ import annotations

import pytest
from cryptography.fernet import InvalidToken
from flask import Flask
from sqlalchemy import delete, func, select, update

from civicwatch.audit.models import AuditEntry
from civicwatch.cases.identity import contact_of
from civicwatch.cases.models import Case
from civicwatch.cases.references import receipt_hash
from civicwatch.crypto import DecryptionError, decrypt_json, decrypt_text
from civicwatch.extensions import db
from civicwatch.intake import queue
from civicwatch.intake.models import QueuedReport, ReceiptLookupFailure, SubmissionKey
from tests.conftest import csrf_token, csrf_token_from
from tests.factories import png_bytes, post_multipart
from tests.intake.conftest import RECEIPT_RE, WHAT_HAPPENED, valid_report
from tests.intake.test_intake_idempotency import looking_up_together, open_form, send, send_from_both
from tests.sms.test_sms_set_aside_expiry import deliver_once_ok

PHONE = "+23276123456"


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config["WEB_REPORTS_QUEUED"] = True
    return app_config


def cases() -> list[Case]:
    db.session.rollback()
    return list(db.session.scalars(select(Case).order_by(Case.id)))


def queued() -> list[QueuedReport]:
    """The reports waiting to be filed (a filed one's emptied row, its tombstone, is not one)."""
    db.session.rollback()
    return list(db.session.scalars(
        select(QueuedReport).where(QueuedReport.filed_at.is_(None)).order_by(QueuedReport.id)))


def tombstones() -> list[QueuedReport]:
    db.session.rollback()
    return list(db.session.scalars(
        select(QueuedReport).where(QueuedReport.filed_at.is_not(None)).order_by(QueuedReport.id)))


def receipt_page(client) -> str:
    page = client.get("/report/received")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def code_on(page: str) -> str:
    found = RECEIPT_RE.search(page)
    assert found, page[:3000]
    return found.group(1)


def track(client, code: str):
    return client.post("/track", data={"csrf_token": csrf_token(client, "/track"), "code": code})


def test_a_queued_report_is_stored_encrypted_and_its_receipt_shown_before_any_case(client):
    hidden = open_form(client)
    response = send(client, hidden, contact_choice="contact", phone=PHONE)
    assert response.status_code == 303 and response.headers["Location"] == "/report/received"
    page = receipt_page(client)
    code = code_on(page)
    assert "once your report is filed" in page and "CW-" not in page

    assert cases() == []
    [row] = queued()
    assert row.receipt_hash == receipt_hash(code.replace(" ", "")) and row.attempts == 0
    stored = row.payload_encrypted + (row.contact_encrypted or b"") + row.receipt_encrypted
    assert b"motorbike" not in stored and PHONE.encode() not in stored and code.replace(" ", "").encode() not in stored
    assert decrypt_json(row.payload_encrypted)["text"] == WHAT_HAPPENED
    with pytest.raises((DecryptionError, InvalidToken)):  # the contact details: the identity key's, not the content key's
        decrypt_text(row.contact_encrypted)


def test_the_worker_files_it_with_the_code_given_counted_from_when_it_came(client, clock):
    send(client, open_form(client), contact_choice="contact", phone=PHONE, texts_allowed="no")
    code = code_on(receipt_page(client))
    sent_at = clock.now
    clock.advance(minutes=3)  # the worker comes later

    assert "web reports filed 1" in deliver_once_ok()
    [case] = cases()
    assert queued() == []
    [tombstone] = tombstones()  # emptied: the words and the contact details are the case's alone now
    assert tombstone.filed_at == clock.now and tombstone.payload_encrypted == b"" == tombstone.receipt_encrypted
    assert tombstone.contact_encrypted is None
    assert case.receipt_hash == receipt_hash(code.replace(" ", "")) and case.text == WHAT_HAPPENED
    assert case.created_at == sent_at and case.acknowledge_due_at is not None
    assert contact_of(case)["phone"] == PHONE
    assert case.routing_explanation  # routed (or sent to triage with the reason) as a report filed at once is
    submitted = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "case.submit")).one()
    assert submitted.case_id == case.id

    opened = track(client, code)
    assert opened.status_code == 303 and opened.headers["Location"] == "/track/case"
    assert case.reference in client.get("/track/case").get_data(as_text=True)


def test_the_follow_up_page_says_a_waiting_report_is_being_filed_and_counts_no_wrong_code(client):
    send(client, open_form(client))
    code = code_on(receipt_page(client))

    waiting = track(client, code)
    assert waiting.status_code == 200 and "being filed" in waiting.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ReceiptLookupFailure)) == 0
    wrong = track(client, "1234 5678 9012 3456")
    assert wrong.status_code == 400


def test_a_retried_form_finds_its_report_queued_then_filed_and_makes_one_case(client):
    hidden = open_form(client)
    send(client, hidden)
    code = code_on(receipt_page(client))

    assert send(client, hidden).status_code == 303  # the answer was lost: sent again while it waits
    assert code_on(receipt_page(client)) == code
    assert len(queued()) == 1

    deliver_once_ok()
    assert send(client, hidden).status_code == 303  # and again once it is filed
    again = receipt_page(client)
    [case] = cases()
    assert code_on(again) == code and case.reference in again
    assert queued() == [] and db.session.scalar(select(func.count()).select_from(SubmissionKey)) == 1


def test_two_sends_of_one_form_at_once_queue_one_report_with_one_code(app: Flask, client, monkeypatch):
    """Both look for the key before either stores (a double click): the queue's unique key lets one in, and the
    other answers with its receipt."""
    hidden = open_form(client)
    waited = looking_up_together(monkeypatch)
    second, results = send_from_both(app, client, hidden)
    assert results == {"one": 303, "two": 303} and len(waited) == 2
    assert code_on(receipt_page(client)) == code_on(receipt_page(second))
    assert len(queued()) == 1


def test_a_form_with_mistakes_queues_nothing(client):
    response = send(client, open_form(client), text="short")
    assert response.status_code == 400 and queued() == [] and cases() == []


def test_a_report_with_files_is_filed_at_once(client):
    hidden = open_form(client)
    response = post_multipart(client, "/report", {**valid_report(), **hidden}, [(png_bytes(), "photo.png")])
    assert response.status_code == 303
    assert len(cases()) == 1 and queued() == []
    assert "CW-" in receipt_page(client)


def test_a_report_that_cannot_be_filed_stays_for_an_admin_and_the_others_are_filed(client, login_as, make_user):
    send(client, open_form(client))
    send(client, open_form(client), text=WHAT_HAPPENED + " It happened twice.")
    first, _ = queued()
    good_payload = first.payload_encrypted
    db.session.execute(update(QueuedReport).where(QueuedReport.id == first.id)
                       .values(payload_encrypted=b"not a fernet token"))
    db.session.commit()

    for _ in range(queue.MAX_ATTEMPTS + 1):
        deliver_once_ok()
    [left] = queued()
    assert left.id == first.id and left.attempts == queue.MAX_ATTEMPTS and left.last_error == "DecryptionError"
    assert [case.text for case in cases()] == [WHAT_HAPPENED + " It happened twice."]

    login_as(make_user("admin"))
    page = client.get("/staff/outbox/").get_data(as_text=True)
    assert "<strong>1</strong> web report is stored and waiting" in page and "<strong>1</strong> could not be filed" in page
    # The admin gives it back once what made it fail is mended (here: its payload, as if a key were restored).
    db.session.execute(update(QueuedReport).values(payload_encrypted=good_payload))
    db.session.commit()
    response = client.post("/staff/outbox/reports/retry", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 302
    assert db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.seq.desc()).limit(1)) == \
        "web_report_queue.retry"
    deliver_once_ok()
    assert queued() == [] and len(cases()) == 2


def test_only_admins_see_the_queue_or_give_reports_back(client, login_as, make_user):
    send(client, open_form(client))
    login_as(make_user("triage"))
    assert "web report is stored" not in client.get("/staff/outbox/").get_data(as_text=True)
    refused = client.post("/staff/outbox/reports/retry", data={"csrf_token": csrf_token(client, "/staff/outbox/")})
    assert refused.status_code == 403


def test_a_report_whose_key_was_filed_already_is_not_filed_twice(client):
    send(client, open_form(client))
    [row] = queued()
    copy = {column: getattr(row, column) for column in ("key_hash", "receipt_hash", "payload_encrypted",
                                                         "contact_encrypted", "receipt_encrypted", "received_at")}
    db.session.expunge(row)
    deliver_once_ok()
    # As if the key had been filed by another way (a report filed at once while the setting was off): the row
    # waits again, its tombstone gone.
    db.session.execute(delete(QueuedReport))
    db.session.add(QueuedReport(**{**copy, "receipt_hash": "0" * 64}, attempts=0))
    db.session.commit()

    deliver_once_ok()
    assert len(cases()) == 1 and queued() == []


def test_the_queue_keeps_the_reports_order_and_files_a_backlog(client):
    texts = [f"{WHAT_HAPPENED} Report number {number}." for number in range(25)]
    for text in texts:
        send(client, open_form(client), text=text)
    filed = queue.file_queued_reports(limit=100)
    assert filed.filed == 25 and filed.failed == 0
    assert [case.text for case in cases()] == texts
    stored = cases()
    assert all(case.created_at <= later.created_at for case, later in zip(stored, stored[1:], strict=False))


def test_a_backlog_files_the_reports_said_urgent_first(client):
    """Workers stopped for a while: when they come back, someone hurt or held right now does not wait behind the
    reports that came before."""
    for number in range(3):
        send(client, open_form(client), text=f"{WHAT_HAPPENED} Report number {number}.")
    send(client, open_form(client), text=WHAT_HAPPENED + " They are beating him now.", danger_now="yes")
    assert [row.urgent for row in queued()] == [False, False, False, True]

    first = queue.file_queued_reports(limit=1)
    [case] = cases()
    assert first.filed == 1 and case.urgent is True and case.text.endswith("beating him now.")
    queue.file_queued_reports(limit=10)
    assert [case.text[-2:] for case in cases()][1:] == ["0.", "1.", "2."] and queued() == []


def test_healthz_says_when_queued_reports_wait_for_a_worker_that_does_not_come(client, clock):
    assert client.get("/healthz").json["web_report_queue"] == "ok"
    send(client, open_form(client))
    clock.advance(minutes=4)
    assert client.get("/healthz").json["web_report_queue"] == "ok"  # a worker takes a report within seconds
    clock.advance(minutes=2)
    stalled = client.get("/healthz")
    assert stalled.status_code == 200 and stalled.json["web_report_queue"] == "stalled"
    assert set(stalled.json) == {"status", "database", "model_version", "web_report_queue"}  # never how many wait
    deliver_once_ok()
    assert client.get("/healthz").json["web_report_queue"] == "ok"
