"""One unanswered question stops the deadline clock for at most DEADLINE_WAIT_MAX_WORKING_DAYS working days, whatever
happens meanwhile. Sending the case back for acknowledgement while it waits keeps it waiting for the same question:
it must not start that limit again, neither for what the deadlines gain when the clock runs again, nor for when the
deadline sweep runs a clock left standing too long."""
from __future__ import annotations

import datetime as dt

import pytest

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus
from civicwatch.cases.reminders import restart_unanswered_clocks
from civicwatch.taxonomy.workdays import working_calendar
from tests.cases.conftest import fresh, post_case_form

LIMIT = 5


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config.update(DEADLINE_WAIT_MAX_WORKING_DAYS=LIMIT)
    return app_config


def _asked_then_sent_back(make_case, make_user, signed_in, clock, days_before: int):
    case = make_case(CaseStatus.INVESTIGATING, body="police_oversight", created_at=clock.now - dt.timedelta(days=2))
    investigator = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    assert post_case_form(investigator, case.id, "messages", "message", text="Which day did it happen?",
                          wait_for_reply="y").status_code == 302
    asked, respond_due = clock.now, fresh(case).respond_due_at
    clock.advance(days=days_before)
    investigator = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    response = post_case_form(investigator, case.id, "status/triaged", "to-triaged",
                              reason="Acknowledged by the wrong unit.")
    assert response.status_code == 302, response.text[:500]
    return case, asked, respond_due


def test_a_send_back_while_waiting_does_not_start_the_wait_limit_again(make_case, make_user, signed_in, clock):
    case, asked, respond_due = _asked_then_sent_back(make_case, make_user, signed_in, clock, days_before=8)
    clock.advance(days=8)  # still no answer: staff run the clock again themselves
    investigator = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    assert post_case_form(investigator, case.id, "clock", "clock").status_code == 302
    calendar = working_calendar(asked)
    assert calendar.working_days_between(asked, clock.now) > 2 * LIMIT
    case = fresh(case)
    assert case.waiting_since is None
    assert case.respond_due_at == calendar.add_working_days(respond_due, LIMIT)


def test_the_sweep_runs_the_clock_once_the_question_waited_the_limit_in_all(make_case, make_user, signed_in, clock):
    case, asked, respond_due = _asked_then_sent_back(make_case, make_user, signed_in, clock, days_before=5)
    clock.advance(days=5)
    calendar = working_calendar(asked)
    assert calendar.working_days_between(asked, clock.now) > LIMIT
    assert restart_unanswered_clocks(clock.now) == 1
    case = fresh(case)
    assert case.waiting_since is None
    assert case.respond_due_at == calendar.add_working_days(respond_due, LIMIT)


def test_a_later_question_has_the_whole_limit_again(make_case, make_user, signed_in, clock):
    """The days the first question counted before its send-back are that question's: once the case is answered
    (which runs the clock no more for it) and reopened, a new question stops the clock for the whole limit."""
    case, _, _ = _asked_then_sent_back(make_case, make_user, signed_in, clock, days_before=8)
    investigator = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    for path, fields in [("status/acknowledged", {}), ("status/investigating", {}),
                         ("findings", {"outcome": "substantiated", "findings": "Two witnesses confirm it."}),
                         ("status/responded", {"response": "We found the officer at fault."}),
                         ("status/reopened", {"reason": "The complainant appealed."}),
                         ("status/investigating", {})]:
        prefix = "findings" if path == "findings" else f"to-{path.split('/')[1]}"
        response = post_case_form(investigator, case.id, path, prefix, **fields)
        assert response.status_code == 302, (path, response.text[:500])
    assert post_case_form(investigator, case.id, "messages", "message", text="Who else was there?",
                          wait_for_reply="y").status_code == 302
    asked, respond_due = clock.now, fresh(case).respond_due_at
    clock.advance(days=3)
    investigator = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    assert post_case_form(investigator, case.id, "clock", "clock").status_code == 302
    calendar = working_calendar(asked)
    waited = calendar.working_days_between(asked, clock.now)
    assert 0 < waited <= LIMIT
    assert fresh(case).respond_due_at == calendar.add_working_days(respond_due, waited)
