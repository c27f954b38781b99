"""A question the complainant never answers does not stop the deadline clock for good. The body waits at most
DEADLINE_WAIT_MAX_WORKING_DAYS working days (20); then the `deliver` worker runs the clock again, the deadlines
having moved by those days only, so a case long past its deadline shows as overdue in the queues, the dashboard
and the escalations instead of waiting out of sight. The restart is on the case's timeline and in the audit."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import CaseEvent, CaseStatus, DeadlineAlert
from civicwatch.extensions import db
from civicwatch.taxonomy.workdays import working_calendar
from tests.cases.conftest import fresh, post_case_form

REF = re.compile(r'href="/staff/cases/(\d+)"')


def deliver(app) -> None:
    result = app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--once"])
    assert result.exit_code == 0, result.output


def listed(client, url: str) -> list[int]:
    response = client.get(url)
    assert response.status_code == 200
    return [int(i) for i in REF.findall(response.get_data(as_text=True))]


def ask(client, case) -> None:
    assert post_case_form(client, case.id, "messages", "message", text="Which day did it happen?",
                          wait_for_reply="y").status_code == 302


def test_a_question_never_answered_stops_the_clock_for_twenty_working_days_at_most(app, make_case, make_user,
                                                                                 signed_in, clock):
    make_user(Role.ADMIN)
    forgotten = make_case(CaseStatus.INVESTIGATING, created_at=clock.now - dt.timedelta(days=2))
    recent = make_case(CaseStatus.INVESTIGATING, created_at=clock.now - dt.timedelta(days=2))
    investigator = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    ask(investigator, forgotten)
    asked, due = clock.now, fresh(forgotten).respond_due_at
    clock.advance(days=120)  # four months without an answer: past the answer's deadline even with 20 days more
    investigator = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))  # a new day's session
    ask(investigator, recent)
    deliver(app)

    case = fresh(forgotten)
    assert case.waiting_since is None
    assert case.respond_due_at == working_calendar(asked).add_working_days(due, 20)
    assert case.respond_due_at < clock.now
    assert fresh(recent).waiting_since is not None  # asked today: still waiting
    assert listed(investigator, "/staff/cases?queue=overdue") == [case.id]
    assert db.session.scalar(select(DeadlineAlert).where(DeadlineAlert.case_id == case.id,
                                                         DeadlineAlert.stage == "escalation")) is not None
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                      CaseEvent.kind == "clock_resumed"))
    assert event is not None and event.user_id is None
    page = investigator.get(f"/staff/cases/{case.id}").get_data(as_text=True)
    assert "no answer from the complainant in 20 working days" in page
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "case.clock_resume"))
    assert entry.user_id is None and entry.before["respond_due_at"] is not None
    assert entry.after["waiting_since"] is None and entry.after["working_days_waited"] == 20


def test_the_worker_restarts_a_forgotten_clock_once(app, make_case, make_user, signed_in, clock):
    case = make_case(CaseStatus.INVESTIGATING, created_at=clock.now - dt.timedelta(days=2))
    ask(signed_in(make_user(Role.INVESTIGATOR, body="police_oversight")), case)
    clock.advance(days=40)
    deliver(app)
    moved = fresh(case).respond_due_at
    deliver(app)
    assert fresh(case).respond_due_at == moved
    assert len(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "case.clock_resume")).all()) == 1
