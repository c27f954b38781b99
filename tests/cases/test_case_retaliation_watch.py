"""Retaliation watch: check-ins 30 and 90 days after closure, for complainants who feared retaliation, sent
exactly once by the deliver worker's periodic job (even with two workers), never after STOP."""
from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from civicwatch.cases.models import Case, CaseStatus, RetaliationCheckIn
from civicwatch.cases.retaliation import send_due_check_ins
from civicwatch.crypto import decrypt_text
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage
from civicwatch.messaging.operations import record_opt_out
from civicwatch.phones import phone_hash
from civicwatch.retention.erasure import apply_retention
from tests.factories import create_case
from tests.retention.conftest import schedule

PHONE = "+23276555001"


def closed_case(fears: bool = True, phone: str | None = PHONE) -> Case:
    return create_case(CaseStatus.CLOSED, phone=phone, fears_retaliation=fears)


def run_job() -> None:
    send_due_check_ins(utcnow())  # what the worker's job does at its turn
    db.session.commit()


def run_in_two_workers_at_once(app, job: Callable[[], object]) -> None:
    """The check-in job run by two workers that start together, each in its own app context and session."""
    barrier = threading.Barrier(2)

    def worker(_: int) -> None:
        with app.app_context():
            barrier.wait()
            job()
            db.session.remove()

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(worker, range(2)))
    db.session.expire_all()


def assert_each_case_asked_once(cases: list[Case]) -> None:
    assert db.session.scalar(select(func.count()).select_from(RetaliationCheckIn)) == len(cases)
    assert db.session.scalar(select(func.count()).select_from(OutboundMessage).where(
        OutboundMessage.purpose == "retaliation_check_in")) == len(cases)


def check_ins(case: Case) -> list[int]:
    return list(db.session.scalars(select(RetaliationCheckIn.round_days).where(RetaliationCheckIn.case_id == case.id)
                                   .order_by(RetaliationCheckIn.round_days)))


def texts(case: Case) -> list[OutboundMessage]:
    return list(db.session.scalars(select(OutboundMessage).where(
        OutboundMessage.case_id == case.id, OutboundMessage.purpose == "retaliation_check_in")))


def move_to(clock, case: Case, days: float) -> None:
    clock.now = case.closed_at + dt.timedelta(days=days)


def test_check_ins_are_sent_once_at_day_30_and_once_at_day_90(app, clock):
    feared, calm = closed_case(), closed_case(fears=False, phone="+23276555002")
    for days, expected in ((29.9, []), (30, [30]), (30.5, [30]), (89.9, [30]), (90, [30, 90]), (400, [30, 90])):
        move_to(clock, feared, days)
        run_job()
        run_job()
        assert check_ins(feared) == expected, days
        assert len(texts(feared)) == len(expected), days
    assert check_ins(calm) == [] and texts(calm) == []
    [first, _second] = texts(feared)
    assert "Has anything happened to you because you reported?" in decrypt_text(first.body_encrypted)


def test_a_web_case_gets_its_check_in_on_the_follow_up_page_not_by_sms(app, clock):
    case = closed_case(phone=None)
    move_to(clock, case, 30)
    run_job()
    assert db.session.scalar(select(RetaliationCheckIn.by_sms)) is False and texts(case) == []


def test_no_text_after_stop(app, clock):
    case = closed_case()
    record_opt_out(phone_hash(PHONE), "keyword")
    db.session.commit()
    move_to(clock, case, 30)
    run_job()
    assert texts(case) == []
    assert db.session.scalar(select(RetaliationCheckIn.by_sms)) is False


def test_two_workers_racing_send_each_check_in_once(app, clock):
    cases = [closed_case(phone=f"+2327655510{number}") for number in range(4)]
    move_to(clock, cases[0], 31)
    run_in_two_workers_at_once(app, run_job)
    assert_each_case_asked_once(cases)


def test_a_case_erased_under_its_schedule_is_asked_nothing_more(app, clock):
    """A short schedule erases a closed case between its two rounds: its words, its contact details and its texts
    are gone, and the follow-up page offers no check-in for it. The 90-day round still stored a check-in for it,
    one nobody could ever be asked, counted on the public page as asked."""
    case = closed_case()
    schedule(CaseStatus.CLOSED, 1)
    move_to(clock, case, 30)
    run_job()
    move_to(clock, case, 62)
    assert apply_retention(None).erased == 1
    db.session.commit()
    assert db.session.get(Case, case.id).erased
    move_to(clock, case, 90)
    run_job()
    assert check_ins(case) == [30]
