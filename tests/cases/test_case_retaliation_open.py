"""Retaliation check-ins while a case is open: the complainant is most at risk while the case is investigated (the
people complained about learn of it), so one who feared retaliation is asked some days after the body acknowledged
the case, and again at an interval while it stays open, by the deliver worker's check-in job."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from civicwatch.cases.models import Case, CaseStatus, RetaliationCheckIn
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage
from civicwatch.sms.operations import ask_due_check_ins
from tests.factories import create_case

PHONE = "+23276555301"


def investigated_case(phone: str | None = PHONE, **fields) -> Case:
    return create_case(CaseStatus.INVESTIGATING, phone=phone, fears_retaliation=True, **fields)


def run_job() -> int:
    asked = ask_due_check_ins(utcnow())  # what the deliver worker's job does at its turn
    db.session.commit()
    return asked


def check_ins(case: Case) -> list[RetaliationCheckIn]:
    return list(db.session.scalars(select(RetaliationCheckIn).where(RetaliationCheckIn.case_id == case.id)
                                   .order_by(RetaliationCheckIn.id)))


def texts(case: Case) -> list[OutboundMessage]:
    return list(db.session.scalars(select(OutboundMessage).where(
        OutboundMessage.case_id == case.id, OutboundMessage.purpose == "retaliation_check_in")))


def test_a_case_under_investigation_is_checked_in_on_while_it_is_open(app, clock):
    """Two months into the investigation of a complaint whose author said they feared retaliation, nobody has asked
    them whether anything happened: the check-ins wait for the case to close."""
    case = investigated_case()
    clock.now = case.acknowledged_at + dt.timedelta(days=60)
    run_job()
    assert len(check_ins(case)) == 1
    assert len(texts(case)) == 1
