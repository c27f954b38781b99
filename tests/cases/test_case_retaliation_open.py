"""Retaliation check-ins while a case is open: the complainant is most at risk while the case is investigated (the
people complained about learn of it), so one who feared retaliation is asked some days after the body acknowledged
the case, and again at an interval while it stays open, by the deliver worker's check-in job: each check-in once
per period, whatever the number of workers, by SMS unless the number texted STOP (on the follow-up page without
a phone), never for an erased case."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import Case, CaseStatus, RetaliationCheckIn
from civicwatch.crypto import decrypt_text
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage
from civicwatch.messaging.operations import record_opt_out
from civicwatch.phones import phone_hash
from civicwatch.retention.erasure import apply_retention
from civicwatch.sms.operations import ask_due_check_ins
from tests.cases.test_case_retaliation_watch import assert_each_case_asked_once, run_in_two_workers_at_once
from tests.factories import create_case
from tests.retention.conftest import schedule

PHONE = "+23276555301"
QUESTION = "Has anything happened to you because you reported?"


def investigated_case(phone: str | None = PHONE, status: CaseStatus = CaseStatus.INVESTIGATING,
                      fears: bool = True, **fields) -> Case:
    return create_case(status, phone=phone, fears_retaliation=fears, **fields)


def run_job() -> int:
    asked = ask_due_check_ins(utcnow())  # what the deliver worker's job does at its turn
    db.session.commit()
    return asked


def check_ins(case: Case) -> list[RetaliationCheckIn]:
    return list(db.session.scalars(select(RetaliationCheckIn).where(RetaliationCheckIn.case_id == case.id)
                                   .order_by(RetaliationCheckIn.id)))


def rounds(case: Case) -> list[tuple[int | None, int | None]]:
    """(open round, days after closure) of each check-in of the case, in the order they were asked."""
    return [(check_in.open_round, check_in.round_days) for check_in in check_ins(case)]


def texts(case: Case) -> list[OutboundMessage]:
    return list(db.session.scalars(select(OutboundMessage).where(
        OutboundMessage.case_id == case.id, OutboundMessage.purpose == "retaliation_check_in")))


def days_after_acknowledgement(clock, case: Case, days: float) -> None:
    clock.now = case.acknowledged_at + dt.timedelta(days=days)


def test_a_case_under_investigation_is_checked_in_on_while_it_is_open(app, clock):
    """Two months into the investigation of a complaint whose author said they feared retaliation, nobody had asked
    them whether anything happened: the check-ins waited for the case to close."""
    case = investigated_case()
    days_after_acknowledgement(clock, case, 60)
    run_job()
    assert len(check_ins(case)) == 1
    assert len(texts(case)) == 1


def test_the_first_check_in_comes_14_days_after_acknowledgement_then_every_30_days_each_once(app, clock):
    feared, calm = investigated_case(), investigated_case(phone="+23276555302", fears=False)
    for days, expected in ((13.9, []), (14, [1]), (14.5, [1]), (43.9, [1]), (44, [1, 2]), (60, [1, 2]),
                           (74, [1, 2, 3])):
        days_after_acknowledgement(clock, feared, days)
        run_job()
        run_job()  # the worker's next turn, or a second worker after the first committed
        assert [open_round for open_round, _ in rounds(feared)] == expected, days
        assert len(texts(feared)) == len(expected), days
    assert check_ins(calm) == [] and texts(calm) == []
    assert all(QUESTION in decrypt_text(text.body_encrypted) for text in texts(feared))
    assert all(round_days is None for _, round_days in rounds(feared))
    entries = db.session.scalars(select(AuditEntry.after).where(AuditEntry.action == "case.retaliation_check_in"))
    assert [entry["open_round"] for entry in entries] == [1, 2, 3]


@pytest.mark.parametrize("status", [CaseStatus.ACKNOWLEDGED, CaseStatus.REOPENED, CaseStatus.RESPONDED])
def test_every_stage_from_acknowledgement_to_closure_is_open(app, clock, status):
    case = investigated_case(status=status)
    days_after_acknowledgement(clock, case, 14)
    assert run_job() == 1 and rounds(case) == [(1, None)]


@pytest.mark.parametrize("status", [CaseStatus.RECEIVED, CaseStatus.TRIAGED, CaseStatus.REJECTED,
                                    CaseStatus.REFERRED, CaseStatus.WITHDRAWN])
def test_a_case_not_yet_acknowledged_or_ended_without_an_answer_is_not_asked(app, clock, status):
    """Before acknowledgement the body has not taken the case up (nobody has been asked about it); a rejected,
    referred or withdrawn case is no longer followed."""
    case = investigated_case(status=status, acknowledged_at=utcnow())
    clock.advance(days=100)
    assert run_job() == 0 and check_ins(case) == []


def test_the_rounds_after_closure_still_come_and_none_while_open_after(app, clock):
    case = investigated_case()
    days_after_acknowledgement(clock, case, 14)
    run_job()
    clock.advance(days=5)
    case.status, case.closed_at = CaseStatus.CLOSED, clock.now
    db.session.commit()
    for days in (1, 29, 30, 60, 90):
        clock.now = case.closed_at + dt.timedelta(days=days)
        run_job()
    assert rounds(case) == [(1, None), (None, 30), (None, 90)]


def test_a_case_reopened_soon_after_a_check_in_is_not_asked_again_within_the_interval(app, clock):
    case = create_case(CaseStatus.CLOSED, phone=PHONE, fears_retaliation=True)
    clock.now = case.closed_at + dt.timedelta(days=30)
    run_job()
    clock.advance(days=2)
    case.status, case.closed_at = CaseStatus.REOPENED, None
    db.session.commit()
    for days in (1, 27, 28):
        clock.now = case.acknowledged_at + dt.timedelta(days=32 + days)
        run_job()
    assert rounds(case) == [(None, 30), (1, None)]
    assert check_ins(case)[1].created_at - check_ins(case)[0].created_at == dt.timedelta(days=30)


def test_a_web_complainant_is_asked_on_the_follow_up_page_not_by_sms(app, clock):
    case = investigated_case(phone=None)
    days_after_acknowledgement(clock, case, 14)
    run_job()
    [check_in] = check_ins(case)
    assert check_in.by_sms is False and texts(case) == []


def test_no_text_after_stop(app, clock):
    case = investigated_case()
    record_opt_out(phone_hash(PHONE), "keyword")
    db.session.commit()
    days_after_acknowledgement(clock, case, 14)
    run_job()
    assert texts(case) == [] and [check_in.by_sms for check_in in check_ins(case)] == [False]


def test_two_workers_racing_ask_each_check_in_once(app, clock):
    cases = [investigated_case(phone=f"+2327655531{number}") for number in range(4)]
    days_after_acknowledgement(clock, cases[0], 15)
    run_in_two_workers_at_once(app, run_job)
    assert_each_case_asked_once(cases)


def test_an_answered_case_erased_before_it_closes_is_asked_nothing(app, clock):
    """Retention may erase a case a month after its answer, before anyone closes it: its contact details and texts
    are gone, and nobody could be asked."""
    case = investigated_case(status=CaseStatus.RESPONDED)
    schedule(CaseStatus.RESPONDED, 1)
    days_after_acknowledgement(clock, case, 40)
    assert apply_retention(None).erased == 1
    db.session.commit()
    assert db.session.get(Case, case.id).erased
    run_job()
    assert check_ins(case) == [] and texts(case) == []


def test_the_schedule_follows_the_settings(app, clock):
    app.config["RETALIATION_OPEN_FIRST_DAYS"], app.config["RETALIATION_OPEN_EVERY_DAYS"] = 3, 14
    case = investigated_case()
    for days, expected in ((2.9, 0), (3, 1), (16.9, 1), (17, 2)):
        days_after_acknowledgement(clock, case, days)
        run_job()
        assert len(check_ins(case)) == expected, days
