"""The cases due for erasure are listed per body in order of arrival: references no longer follow it."""
from __future__ import annotations

import datetime as dt

from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from civicwatch.retention.queries import due_cases
from tests.factories import create_case
from tests.retention.conftest import run_cli, schedule


def test_due_cases_are_listed_in_order_of_arrival_whatever_their_references(app, clock):
    cases = [create_case(CaseStatus.CLOSED) for _ in range(3)]
    for case, reference in zip(cases, ("CW-2026-900317", "CW-2026-000002", "CW-2026-451208"), strict=True):
        case.reference = reference
    db.session.commit()
    schedule(CaseStatus.CLOSED, 6)
    clock.now = dt.datetime(2026, 9, 12, 0, 1, tzinfo=dt.UTC)

    assert [due.case_id for due in due_cases(clock.now.date())] == [case.id for case in cases]
    code, output = run_cli(app, "retention", "dry-run")
    assert code == 0, output
    assert [output.index(case.reference) for case in cases] == sorted(output.index(case.reference) for case in cases)
