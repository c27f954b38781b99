"""The days the case page shows for deadlines and the moments around them are the deployment's days
(TIMEZONE), as deadlines are counted: in New York (with summer time) a deadline ends at 23:59:59 local time, which
is already the next day in UTC, and a case acknowledged at 22:00 on 11 March was acknowledged on the 11th."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from civicwatch.accounts.models import Role
from civicwatch.cases.counts import refresh_dashboard_medians
from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db

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


def test_times_are_shown_in_the_deployments_time_zone_with_its_offset(app, make_case, make_user, signed_in, clock):
    """Staff in New York read 22:00 on the 11th for a report received then, not 02:00 on the 12th marked UTC; a
    deployment on UTC reads the times as before."""
    received = dt.datetime(2026, 3, 11, 22, 0, tzinfo=NEW_YORK).astimezone(dt.UTC)  # 12 March, 02:00 UTC
    case = make_case(CaseStatus.INVESTIGATING, created_at=received)
    browser = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    assert "Received 12 Mar 2026, 02:00 UTC" in browser.get(f"/staff/cases/{case.id}").text

    app.config["TIMEZONE"] = "America/New_York"
    page = browser.get(f"/staff/cases/{case.id}").text
    assert "Received 11 Mar 2026, 22:00 GMT-04:00" in page
    assert "02:00" not in page


def test_the_queues_received_dates_are_the_deployments_days(app, make_case, make_user, signed_in, clock):
    """Staff in New York who ask for the reports received on 11 March get the one received at 22:00 that evening
    (12 March in UTC), and not in the list for the 12th."""
    app.config["TIMEZONE"] = "America/New_York"
    evening = make_case(CaseStatus.INVESTIGATING,
                        created_at=dt.datetime(2026, 3, 11, 22, 0, tzinfo=NEW_YORK).astimezone(dt.UTC))
    morning = make_case(CaseStatus.INVESTIGATING,
                        created_at=dt.datetime(2026, 3, 12, 9, 0, tzinfo=NEW_YORK).astimezone(dt.UTC))
    browser = signed_in(make_user(Role.ADMIN))

    def listed(day: str) -> set[int]:
        page = browser.get(f"/staff/cases?queue=open&received_from={day}&received_to={day}").text
        return {case.id for case in (evening, morning) if f'href="/staff/cases/{case.id}"' in page}

    assert listed("2026-03-11") == {evening.id}
    assert listed("2026-03-12") == {morning.id}


def test_the_dashboards_quarter_is_the_deployments(app, make_case, make_user, signed_in, clock):
    """At 22:00 on 31 March in New York (1 April in UTC) the dashboard still shows the first quarter, with every
    report received in it, and the medians the worker computed for it."""
    app.config["TIMEZONE"] = "America/New_York"
    clock.advance(days=19, hours=17)
    assert clock.now.astimezone(NEW_YORK) == dt.datetime(2026, 3, 31, 22, 0, tzinfo=NEW_YORK)
    for received in (dt.datetime(2026, 3, 15, 12, 0, tzinfo=NEW_YORK), dt.datetime(2026, 3, 31, 21, 0, tzinfo=NEW_YORK)):
        make_case(CaseStatus.INVESTIGATING, created_at=received.astimezone(dt.UTC))
    refresh_dashboard_medians(clock.now)
    db.session.commit()
    page = signed_in(make_user(Role.ADMIN)).get("/staff/").text
    assert "This quarter (Q1 2026)" in page
    assert "Medians as of 31 Mar 2026, 22:00 GMT-04:00." in page
    received = re.search(r'id="received-by-channel">(.*?)</p>', page, re.S)
    assert received is not None and re.sub(r"<[^>]+>|\s+", " ", received.group(1)).split() == [
        "Received", "this", "quarter:", "2", "by", "web", "form"]
