"""The one extension may take the deadline to answer up to the law's outer limit, twice its months from receipt
(six months: the whistleblower rules' 'duly justified' case), never past it, however long the body's own time to
answer is set on the deadlines page."""
from __future__ import annotations

from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body
from civicwatch.taxonomy.workdays import working_calendar
from tests.cases.conftest import fresh, post_case_form


def test_an_extension_cannot_take_the_deadline_past_six_months_from_receipt(make_case, make_user, signed_in, clock):
    body = db.session.scalar(select(Body).where(Body.code == "police_oversight"))
    body.respond_days = 400  # a body that gives itself long to answer: the law's three months cap it
    db.session.commit()
    case = make_case(CaseStatus.INVESTIGATING, body="police_oversight", created_at=clock.now)
    outer = working_calendar(clock.now).add_months(clock.now, 6)
    investigator = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    response = post_case_form(investigator, case.id, "extend", "extend", days="300",
                              reason="The police file is with the prosecutor.")
    assert response.status_code == 400, response.status_code
    assert fresh(case).deadline_extended_at is None
    assert fresh(case).respond_due_at < outer
