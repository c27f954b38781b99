"""The deadline clock stopped while the body waits for the complainant: on restart, deadlines move by the working
days that began while it stood still, and still end at the end of a working day (a wall-clock shift moved "Friday
23:59" to "Saturday 00:00" after a one-minute question, and gave weekends as extra working days)."""
from __future__ import annotations

import datetime as dt

import pytest

from civicwatch.cases.deadlines import pause_deadline_clock, resume_deadline_clock
from tests.factories import create_case

FRIDAY_END = dt.datetime(2027, 3, 12, 23, 59, 59, tzinfo=dt.UTC)  # no holiday near it in the default taxonomy


@pytest.mark.parametrize("asked, answered, moved_to", [
    # A question answered a minute later, the same day: nothing moves.
    (dt.datetime(2027, 3, 5, 18, 58), dt.datetime(2027, 3, 5, 18, 59), FRIDAY_END),
    # Asked on Friday, answered on Monday: only Monday stood still.
    (dt.datetime(2027, 3, 5, 10, 0), dt.datetime(2027, 3, 8, 9, 0), dt.datetime(2027, 3, 15, 23, 59, 59)),
    # Asked on Saturday, answered on Sunday: no working day stood still.
    (dt.datetime(2027, 3, 6, 10, 0), dt.datetime(2027, 3, 7, 22, 0), FRIDAY_END),
    # Asked on Monday, answered on Thursday: Tuesday, Wednesday and Thursday.
    (dt.datetime(2027, 3, 1, 10, 0), dt.datetime(2027, 3, 4, 8, 0), dt.datetime(2027, 3, 17, 23, 59, 59)),
])
def test_a_restarted_clock_moves_deadlines_by_working_days(app, asked, answered, moved_to):
    case = create_case("investigating")
    case.respond_due_at = FRIDAY_END
    pause_deadline_clock(case, asked.replace(tzinfo=dt.UTC))
    assert resume_deadline_clock(case, answered.replace(tzinfo=dt.UTC))
    assert case.respond_due_at == moved_to.replace(tzinfo=dt.UTC)
    assert case.waiting_since is None


def test_a_met_deadline_does_not_move(app):
    case = create_case("investigating")
    case.respond_due_at, case.responded_at = FRIDAY_END, dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC)
    pause_deadline_clock(case, dt.datetime(2027, 3, 1, 10, tzinfo=dt.UTC))
    resume_deadline_clock(case, dt.datetime(2027, 3, 10, 10, tzinfo=dt.UTC))
    assert case.respond_due_at == FRIDAY_END
