"""A move that needs a reason (withdraw, reject, refer, send back) sent without one is a mistake in the form:
400 with the reason asked for, never 409 as if someone else had changed the case. Nothing changes."""
from __future__ import annotations

import pytest

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus
from tests.cases.conftest import fresh, post_case_form


@pytest.mark.parametrize("target", ["withdrawn", "rejected", "referred", "triaged"])
@pytest.mark.parametrize("reason", ["", "   \n  "])
def test_a_move_without_its_reason_is_a_form_error(make_case, make_user, signed_in, target, reason):
    case = make_case(CaseStatus.INVESTIGATING, body="police_oversight")
    own = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    response = post_case_form(own, case.id, f"status/{target}", f"to-{target}", reason=reason)
    assert response.status_code == 400, response.status_code
    assert "Give a reason for this change." in response.get_data(as_text=True)
    assert fresh(case).status is CaseStatus.INVESTIGATING


def test_with_a_reason_the_case_is_withdrawn(make_case, make_user, signed_in):
    case = make_case(CaseStatus.INVESTIGATING, body="police_oversight")
    own = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    response = post_case_form(own, case.id, "status/withdrawn", "to-withdrawn", reason="The complainant asked us to.")
    assert response.status_code == 302
    assert fresh(case).status is CaseStatus.WITHDRAWN
