"""The identity page of a case whose personal content was erased says so: it must not tell staff the complaint
was sent anonymously (which would misstate what the complainant did), and asking to see the identity is refused
with the same reason."""
from __future__ import annotations

import datetime as dt

from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from tests.conftest import csrf_token
from tests.factories import staff_client
from tests.retention.conftest import personal_case, run_cli, schedule


def test_an_erased_case_is_not_called_anonymous(app, clock, staff):
    case = personal_case(staff)
    db.session.commit()
    investigator = staff_client(app, staff.investigator)
    before = investigator.get(f"/staff/cases/{case.id}/identity").get_data(as_text=True)
    assert "sent anonymously" not in before

    schedule(CaseStatus.CLOSED, 6)
    clock.now = dt.datetime(2026, 9, 12, 12, 0, tzinfo=dt.UTC)
    assert run_cli(app, "retention", "apply")[0] == 0

    investigator = staff_client(app, staff.investigator)  # signed in again: months have passed
    page = investigator.get(f"/staff/cases/{case.id}/identity")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "sent anonymously" not in text
    assert "erased under the retention schedule" in text

    path = f"/staff/cases/{case.id}/identity/requests"
    asked = investigator.post(path, data={"csrf_token": csrf_token(investigator, f"/staff/cases/{case.id}/identity"),
                                          "scope": "within_body", "reason": "To check the facts with the complainant."})
    assert asked.status_code in (400, 409, 422)
    assert "sent anonymously" not in asked.get_data(as_text=True)
    assert "erased" in asked.get_data(as_text=True)
