"""A check-in asked on the follow-up page while the case was open, answered there after the case closed: the closed
case is not marked urgent nor shown in the staff's "Retaliation reported" queue and count; a "yes" opens one new
urgent case linked to it, routed to the same body, with its own receipt code, as a "yes" after closure does."""
from __future__ import annotations

from sqlalchemy import func, select

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Case, CaseStatus, RetaliationCheckIn
from civicwatch.database import utcnow
from civicwatch.extensions import db
from tests.cases.test_case_dashboard import figures
from tests.factories import staff_client
from tests.intake.conftest import RECEIPT_RE
from tests.intake.test_intake_retaliation_open import WORDS, answer, investigated_and_asked

LABEL = "retaliation reported, not yet seen"


def test_a_yes_after_closure_opens_a_linked_urgent_case_not_an_urgent_closed_one(client, app, clock, make_user):
    reported = investigated_and_asked(client, clock, make_user)
    case = db.session.get(Case, reported.case.id)
    case.status, case.closed_at = CaseStatus.CLOSED, utcnow()
    db.session.commit()
    clock.advance(minutes=1)
    response = answer(client, "yes", WORDS)
    assert response.status_code == 303
    page = client.get(response.location).get_data(as_text=True)
    assert "We opened a new report" in page and RECEIPT_RE.search(page)
    closed = db.session.get(Case, reported.case.id, populate_existing=True)
    assert closed.urgent is False and closed.status is CaseStatus.CLOSED
    check_in = db.session.scalar(select(RetaliationCheckIn))
    assert check_in.retaliation_reported is True and check_in.reported_case_id is not None
    linked = db.session.get(Case, check_in.reported_case_id)
    assert linked.urgent is True and linked.body_id == closed.body_id and WORDS in linked.text
    assert closed.reference in linked.text
    assert db.session.scalar(select(func.count()).select_from(Case)) == 2
    staff = staff_client(app, make_user(Role.INVESTIGATOR, body="police_oversight"))
    assert figures(staff)[LABEL] == "0"
    assert closed.reference not in staff.get("/staff/cases?queue=retaliation").get_data(as_text=True)
    assert 'id="retaliation-reported"' not in staff.get(f"/staff/cases/{closed.id}").get_data(as_text=True)
    # The same form sent again after its reply was lost is thanked again, and opens nothing more.
    clock.advance(minutes=2)
    again = answer(client, "yes", WORDS)
    assert again.status_code == 303 and "We opened a new report" in client.get(again.location).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Case)) == 2
