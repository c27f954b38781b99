"""A case reopened on appeal has a fresh deadline to answer again, from the day it is reopened. The extension the
body gave its first answer belonged to that answer: it stays in the case's events and audit, but the complainant
is not told the body "needs more time" for the new answer (with the old reason), and the body may extend the new
deadline once, as a body a case is sent on to may."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.cases.deadlines import respond_deadline
from civicwatch.cases.feedback import appeal_answer
from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from civicwatch.intake.queries import progress
from civicwatch.taxonomy.models import Body
from tests.cases.conftest import fresh, post_case_form

FIRST_REASON = "The police file is with the prosecutor."


@pytest.mark.parametrize("other_body", [None, "human_rights_commission"])
def test_a_case_reopened_on_appeal_does_not_carry_the_first_answers_extension(make_case, make_user, signed_in,
                                                                              clock, other_body):
    case = make_case(CaseStatus.RESPONDED, body="police_oversight", created_at=clock.now - dt.timedelta(days=70),
                     assigned_to_id=None, deadline_extended_at=clock.now - dt.timedelta(days=20),
                     deadline_extension_reason=FIRST_REASON)
    body = db.session.scalar(select(Body).where(Body.code == other_body)) if other_body else None
    appeal_answer(fresh(case), "They never asked the witnesses.", body=body)
    db.session.commit()

    case = fresh(case)
    assert case.status is CaseStatus.REOPENED
    assert case.respond_due_at == respond_deadline(case, case.body, clock.now)
    shown = progress(case, clock.now)
    assert shown is not None and shown.next_step is not None and "needs more time" not in str(shown.next_step)
    assert shown.extension_reason is None

    # The body now holding the case may extend the new deadline once.
    holder = signed_in(make_user(Role.INVESTIGATOR, body=case.body.code))
    due = case.respond_due_at
    response = post_case_form(holder, case.id, "extend", "extend", days="5", reason="The witnesses are abroad.")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert fresh(case).respond_due_at > due
