"""Retention erases exactly what the schedules say: on the due day and not the day before, never a held case, never
a status or body the schedule does not name; a body's own schedule wins over the deployment's. With the moved
clock, through the `retention` commands."""
from __future__ import annotations

import datetime as dt

from civicwatch.cases.models import Case, CaseStatus
from civicwatch.extensions import db
from civicwatch.retention.erasure import ERASED
from civicwatch.retention.models import CaseErasure, RetentionSchedule
from civicwatch.retention.queries import months_before
from tests.conftest import csrf_token
from tests.factories import create_case, staff_client
from tests.retention.conftest import hold, run_cli, schedule

CLOSED, REJECTED = CaseStatus.CLOSED, CaseStatus.REJECTED


def erased(*cases: Case) -> list[bool]:
    db.session.expire_all()
    return [db.session.get(Case, case.id).text == ERASED for case in cases]


def test_a_case_stays_the_day_before_its_due_day_and_goes_on_it(app, clock, staff):
    # Closed 2026-03-12 08:30; six months for closed cases: due on 2026-09-12.
    due = create_case(CLOSED)
    held = create_case(CLOSED)
    rejected = create_case(REJECTED)  # no schedule for rejected cases
    longer = create_case(CLOSED, "human_rights_commission")  # its body keeps closed cases 12 months
    still_open = create_case(CaseStatus.INVESTIGATING)
    later = create_case(CLOSED, closed_at=clock.now + dt.timedelta(days=1))
    hold(held, staff.admin)
    schedule(CLOSED, 6)
    schedule(REJECTED, 60, "police_oversight")
    schedule(CLOSED, 12, "human_rights_commission")

    clock.now = dt.datetime(2026, 9, 11, 23, 59, tzinfo=dt.UTC)
    code, output = run_cli(app, "retention", "dry-run")
    assert code == 0, output
    assert "Nothing is due." in output
    assert run_cli(app, "retention", "apply")[0] == 0
    assert erased(due, held, rejected, longer, still_open, later) == [False] * 6

    clock.now = dt.datetime(2026, 9, 12, 0, 1, tzinfo=dt.UTC)
    code, output = run_cli(app, "retention", "dry-run")
    assert code == 0, output
    assert "Police Oversight" in output and "1 to erase, 1 kept by a legal hold" in output, output
    assert due.reference in output and held.reference in output
    assert all(case.reference not in output for case in (rejected, longer, still_open, later))
    assert erased(due, held, rejected, longer, still_open, later) == [False] * 6  # the dry run changed nothing

    code, output = run_cli(app, "retention", "apply")
    assert code == 0, output
    assert "1 cases erased" in output
    assert erased(due, held, rejected, longer, still_open, later) == [True, False, False, False, False, False]

    clock.now = dt.datetime(2027, 3, 12, 0, 1, tzinfo=dt.UTC)  # a year after closing: the body's own schedule
    run_cli(app, "retention", "apply")
    assert erased(due, held, rejected, longer, still_open, later) == [True, False, False, True, False, True]
    assert db.session.query(CaseErasure).count() == 3


def test_schedules_are_set_listed_and_removed_from_the_command_line(app, clock):
    code, output = run_cli(app, "retention", "set", "closed", "18", "--body", "police_oversight")
    assert code == 0, output
    assert run_cli(app, "retention", "set", "closed", "24")[0] == 0
    assert run_cli(app, "retention", "set", "closed", "36")[0] == 0  # changed, not added
    code, output = run_cli(app, "retention", "schedules")
    assert "police_oversight\tclosed\t18 months" in output and "every body\tclosed\t36 months" in output
    assert run_cli(app, "retention", "unset", "closed", "--body", "police_oversight")[0] == 0
    assert "police_oversight" not in run_cli(app, "retention", "schedules")[1]

    for args, message in ((("set", "closd", "6"), "Choose a case status"), (("set", "closed", "six"), "whole number"),
                          (("set", "closed", "0"), "between 1 and 1200"),
                          (("set", "closed", "6", "--body", "nobody"), "no body with that code"),
                          (("unset", "rejected"), "no such schedule")):
        code, output = run_cli(app, "retention", *args)
        assert code != 0 and message in output, (args, output)


def test_months_are_calendar_months_clamped_to_the_shorter_month():
    assert months_before(dt.date(2026, 8, 31), 6) == dt.date(2026, 2, 28)
    assert months_before(dt.date(2026, 9, 12), 6) == dt.date(2026, 3, 12)
    assert months_before(dt.date(2027, 1, 15), 13) == dt.date(2025, 12, 15)


def test_a_case_still_being_worked_on_is_never_erased(app, clock, staff):
    """A schedule for an open status would erase every investigation left untouched for that long (it counts from
    the case's last change): the command line and the page refuse it, and one stored before is not applied."""
    for status in ("received", "triaged", "acknowledged", "investigating", "reopened"):
        code, output = run_cli(app, "retention", "set", status, "1")
        assert code != 0 and "Cases still being worked on are never erased" in output, (status, output)
    client = staff_client(app, staff.admin)
    page = client.get("/staff/retention").get_data(as_text=True)
    assert 'value="investigating"' not in page and 'value="closed"' in page
    response = client.post("/staff/retention/schedules", data={
        "csrf_token": csrf_token(client, "/staff/retention"), "body": "", "status": "investigating", "months": "1"})
    assert response.status_code == 400
    assert db.session.query(RetentionSchedule).count() == 0

    investigating = create_case(CaseStatus.INVESTIGATING)
    db.session.add(RetentionSchedule(body_id=None, status=CaseStatus.INVESTIGATING, months=1))  # stored before
    db.session.commit()
    clock.now = dt.datetime(2027, 3, 12, 0, 1, tzinfo=dt.UTC)
    code, output = run_cli(app, "retention", "apply")
    assert code == 0 and "Nothing is due." in run_cli(app, "retention", "dry-run")[1], output
    assert erased(investigating) == [False]
    signed_in_again = staff_client(app, staff.admin)  # the clock moved past the first session's end
    assert "not applied" in signed_in_again.get("/staff/retention").get_data(as_text=True)
