""""Next step" gives each due date once: the one running now with how far off it is, the other one beside it."""
from __future__ import annotations

import pytest

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus
from tests.cases.test_case_next_step_while_waiting import next_step


@pytest.mark.parametrize("status", [CaseStatus.TRIAGED, CaseStatus.ACKNOWLEDGED, CaseStatus.INVESTIGATING,
                                    CaseStatus.RESPONDED])
def test_each_due_date_is_shown_once(make_case, make_user, signed_in, status):
    case = make_case(status, body="police_oversight")
    own = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    section = next_step(own, case.id)
    assert section.count("Acknowledge by") == 1, section
    assert section.count("Respond by") == 1, section
