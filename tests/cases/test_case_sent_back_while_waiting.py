"""A case sent back for acknowledgement while the clock is stopped for the complainant: its fresh time to be
acknowledged runs from the day it was sent back, so when the complainant answers it gains only the days waited
since then. The answer's deadline, owed from receipt, keeps every day the clock stood still."""
from __future__ import annotations

import datetime as dt

from civicwatch.accounts.models import Role
from civicwatch.cases.deadlines import acknowledge_deadline
from civicwatch.cases.models import CaseStatus
from civicwatch.taxonomy.workdays import working_calendar
from tests.cases.conftest import fresh, post_case_form


def test_a_case_sent_back_while_waiting_gains_on_its_fresh_acknowledgement_only_the_wait_since(
        make_case, make_user, signed_in, clock):
    case = make_case(CaseStatus.INVESTIGATING, body="police_oversight", created_at=clock.now - dt.timedelta(days=2))
    investigator = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    assert post_case_form(investigator, case.id, "messages", "message", text="Which day did it happen?",
                          wait_for_reply="y").status_code == 302
    asked, respond_due = clock.now, fresh(case).respond_due_at
    clock.advance(days=14)  # two weeks of waiting
    investigator = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    response = post_case_form(investigator, case.id, "status/triaged", "to-triaged",
                              reason="Acknowledged by the wrong unit.")
    assert response.status_code == 302, response.text[:500]
    sent_back = clock.now
    fresh_acknowledge = acknowledge_deadline(fresh(case), case.body, sent_back)
    assert fresh(case).acknowledge_due_at == fresh_acknowledge

    clock.advance(days=1)  # the complainant answers the next day
    investigator = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    assert post_case_form(investigator, case.id, "clock", "clock").status_code == 302
    case = fresh(case)
    calendar = working_calendar(asked)
    assert case.waiting_since is None
    assert case.acknowledge_due_at == calendar.add_working_days(
        fresh_acknowledge, calendar.working_days_between(sent_back, clock.now))
    assert case.respond_due_at == calendar.add_working_days(respond_due, calendar.working_days_between(asked,
                                                                                                        clock.now))
