"""A deadline to answer later than the law's limit (three months from receipt) is allowed: the clock stood still
for the complainant, the body extended it once, or a body the case was sent on to started afresh. The case page
says so, with the law's date, so that staff do not read a later deadline as a lawful one."""
from __future__ import annotations

import datetime as dt

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus
from civicwatch.taxonomy.workdays import working_calendar
from tests.cases.conftest import fresh, post_case_form

LAW = "later than the law"


def test_the_case_page_says_when_the_deadline_to_answer_is_past_the_law_s_limit(make_case, make_user, signed_in,
                                                                               clock):
    received = clock.now - dt.timedelta(days=70)
    case = make_case(CaseStatus.INVESTIGATING, body="police_oversight", created_at=received)
    within = make_case(CaseStatus.INVESTIGATING, body="police_oversight", created_at=received)
    investigator = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    assert LAW not in investigator.get(f"/staff/cases/{case.id}").text
    assert post_case_form(investigator, case.id, "extend", "extend", days="30",
                          reason="The police file is with the prosecutor.").status_code == 302
    limit = working_calendar(received).add_months(received, 3)
    assert fresh(case).respond_due_at > limit
    page = investigator.get(f"/staff/cases/{case.id}").text
    assert LAW in page and "01 Apr 2026" in page
    assert LAW not in investigator.get(f"/staff/cases/{within.id}").text
