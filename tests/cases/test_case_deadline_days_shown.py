"""The days the case page shows for deadlines and the moments around them are the deployment's days
(TIMEZONE), as deadlines are counted: in New York (with summer time) a deadline ends at 23:59:59 local time, which
is already the next day in UTC, and a case acknowledged at 22:00 on 11 March was acknowledged on the 11th."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus

NEW_YORK = ZoneInfo("America/New_York")


def test_the_case_page_shows_the_deadlines_day_in_the_deployments_time_zone(app, make_case, make_user,
                                                                           signed_in, clock):
    app.config["TIMEZONE"] = "America/New_York"
    respond_by = dt.datetime(2026, 5, 5, 23, 59, 59, tzinfo=NEW_YORK).astimezone(dt.UTC)  # 6 May, 03:59 UTC
    acknowledged = dt.datetime(2026, 3, 11, 22, 0, tzinfo=NEW_YORK).astimezone(dt.UTC)  # 12 March, 02:00 UTC
    case = make_case(CaseStatus.INVESTIGATING, created_at=clock.now - dt.timedelta(days=2),
                     acknowledged_at=acknowledged, respond_due_at=respond_by)
    page = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight")).get(f"/staff/cases/{case.id}").text
    assert "from the current deadline, 05 May 2026" in page
    assert "done 11 Mar 2026" in page
