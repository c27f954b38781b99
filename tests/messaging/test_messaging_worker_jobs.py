"""A periodic job of the `deliver` worker that fails on one bad row stops neither the worker nor the texts it owes
citizens: the job is logged by name and tried at its next turn, and the outbox is sent. The bad row is real: a
complainant's contact details that the configured key cannot decrypt (a backup restored under an older key)."""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select, update

from civicwatch.cases import retaliation
from civicwatch.cases.models import Case, CaseStatus, ComplainantIdentity, RetaliationCheckIn
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage, OutboxStatus
from civicwatch.messaging.operations import queue_sms
from tests.factories import create_case
from tests.messaging.recording_twilio import RecordingHttpClient

FEARFUL_PHONE = "+23276555001"
OTHER_PHONE = "+23277123456"
NEWS = "CivicWatch CW-2026-000042: the police council has received your complaint."


def undecryptable_case_due_a_check_in(clock) -> Case:
    """A case closed 30 days ago whose complainant feared retaliation: its check-in is due, and its contact
    details cannot be decrypted."""
    case = create_case(CaseStatus.CLOSED, phone=FEARFUL_PHONE, fears_retaliation=True)
    db.session.execute(update(ComplainantIdentity).where(ComplainantIdentity.case_id == case.id)
                       .values(contact_encrypted=b"gAAAAAB-not-a-token-under-this-key"))
    db.session.commit()
    assert case.closed_at is not None
    clock.now = case.closed_at + dt.timedelta(days=30, minutes=1)
    return case


def test_a_job_failing_on_one_case_does_not_stop_the_texts_owed_to_everyone_else(
        app, clock, twilio_http: RecordingHttpClient, caplog):
    undecryptable_case_due_a_check_in(clock)
    owed = queue_sms(OTHER_PHONE, NEWS, "status").id
    db.session.commit()
    caplog.set_level(logging.WARNING)

    result = app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--once"])

    assert result.exit_code == 0, (result.output, repr(result.exception))
    assert [request.data["Body"] for request in twilio_http.accepted] == [NEWS]
    assert db.session.get(OutboundMessage, owed, populate_existing=True).status is OutboxStatus.SENT
    assert "(DecryptionError)" in caplog.text  # the job's or the case's warning, by the error's type alone
    assert FEARFUL_PHONE.lstrip("+") not in caplog.text and OTHER_PHONE.lstrip("+") not in caplog.text


def test_a_case_the_key_cannot_decrypt_holds_up_no_other_complainants_check_in(app, clock, twilio_http, caplog):
    bad = undecryptable_case_due_a_check_in(clock)
    good = create_case(CaseStatus.CLOSED, phone=OTHER_PHONE, fears_retaliation=True, closed_at=bad.closed_at)
    good_id = good.id
    caplog.set_level(logging.WARNING)

    result = app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--once"])

    assert result.exit_code == 0, (result.output, repr(result.exception))
    assert [request.data["To"] for request in twilio_http.accepted] == [OTHER_PHONE]
    (check_in,) = db.session.scalars(select(RetaliationCheckIn).where(RetaliationCheckIn.case_id == good_id))
    assert check_in.by_sms and check_in.round_days == 30
    assert db.session.scalars(select(RetaliationCheckIn).where(RetaliationCheckIn.case_id == bad.id)).all() == []
    assert f"retaliation check-in for case {bad.id} not asked (DecryptionError)" in caplog.text
    assert FEARFUL_PHONE.lstrip("+") not in caplog.text and OTHER_PHONE.lstrip("+") not in caplog.text


def test_a_batch_of_cases_the_key_cannot_decrypt_holds_up_no_later_complainants_check_in(app, clock, twilio_http):
    """Those cases stay owed (asked once their details can be read), first in the queue's order: a whole batch of
    them must not keep every later complainant from being asked."""
    bad = [undecryptable_case_due_a_check_in(clock) for _ in range(retaliation.BATCH)]
    good_id = create_case(CaseStatus.CLOSED, phone=OTHER_PHONE, fears_retaliation=True, closed_at=bad[0].closed_at).id

    result = app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--once"])

    assert result.exit_code == 0, (result.output, repr(result.exception))
    assert [request.data["To"] for request in twilio_http.accepted] == [OTHER_PHONE]
    (check_in,) = db.session.scalars(select(RetaliationCheckIn).where(RetaliationCheckIn.case_id == good_id))
    assert check_in.by_sms
