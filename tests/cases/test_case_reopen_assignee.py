"""A closed case keeps the investigator who handled it, even after they leave the body or the service. Reopened
(the complainant's appeal, or the body's own reopening), it is work in progress again: it goes back to the body's
queue unless its assignee may still work it, as the open cases of a departing investigator do."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role, User
from civicwatch.audit.models import AuditEntry
from civicwatch.cases.feedback import appeal_answer
from civicwatch.cases.models import Case, CaseEvent, CaseStatus
from civicwatch.cases.reminders import ESCALATION, recipients
from civicwatch.cases.staffing import move_staff, set_staff_active
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body
from tests.cases.conftest import fresh, post_case_form

BODY = "police_oversight"


def _moved_away(user: User, admin: User) -> None:
    move_staff(user, Role.INVESTIGATOR, db.session.query(Body).filter_by(code="anti_corruption_commission").one(),
               admin)


def _deactivated(user: User, admin: User) -> None:
    set_staff_active(user, False, admin)


def _made_triage(user: User, admin: User) -> None:
    move_staff(user, Role.TRIAGE, None, admin)


DEPARTURES: dict[str, Callable[[User, User], None]] = {
    "moved to another body": _moved_away, "deactivated": _deactivated, "no longer an investigator": _made_triage}


def _closed_case_of_a_departed_investigator(make_case, make_user, departure: str) -> tuple[Case, User]:
    handler = make_user(Role.INVESTIGATOR, body=BODY)
    admin = make_user(Role.ADMIN)
    case = make_case(CaseStatus.CLOSED, body=BODY, assigned_to_id=handler.id)
    DEPARTURES[departure](handler, admin)
    db.session.commit()
    assert fresh(case).assigned_to_id == handler.id  # a closed case keeps who handled it
    return case, handler


def _released(case: Case, handler: User) -> None:
    case = fresh(case)
    assert case.status is CaseStatus.REOPENED
    assert case.assigned_to_id is None
    assert handler not in recipients(case, ESCALATION)
    events = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                        CaseEvent.kind == "assigned")).all()
    assert [event.detail for event in events] == [{"assignee": None}]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.case_id == case.id,
                                                        AuditEntry.action == "case.reopen")).one()
    assert (entry.before["assigned_to"], entry.after["assigned_to"]) == (handler.id, None)


@pytest.mark.parametrize("departure", DEPARTURES)
def test_an_appeal_does_not_give_the_case_back_to_an_investigator_who_left(make_case, make_user, departure):
    case, handler = _closed_case_of_a_departed_investigator(make_case, make_user, departure)
    appeal_answer(case, "Nobody spoke to the witnesses.")
    db.session.commit()
    _released(case, handler)


@pytest.mark.parametrize("departure", DEPARTURES)
def test_the_body_reopening_a_case_does_not_give_it_back_to_an_investigator_who_left(make_case, make_user, signed_in,
                                                                                     departure):
    case, handler = _closed_case_of_a_departed_investigator(make_case, make_user, departure)
    colleague = signed_in(make_user(Role.INVESTIGATOR, body=BODY))
    response = post_case_form(colleague, case.id, "status/reopened", "to-reopened",
                              reason="New witnesses came forward.")
    assert response.status_code == 302
    _released(case, handler)
    queue = colleague.get("/staff/cases?queue=body").get_data(as_text=True)
    assert case.reference in queue and handler.name not in queue


def test_a_reopened_case_stays_with_an_investigator_who_may_still_work_it(make_case, make_user):
    handler = make_user(Role.INVESTIGATOR, body=BODY)
    case = make_case(CaseStatus.CLOSED, body=BODY, assigned_to_id=handler.id)
    appeal_answer(case, "Nobody spoke to the witnesses.")
    db.session.commit()
    assert fresh(case).assigned_to_id == handler.id
    assert not db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "assigned")).all()

