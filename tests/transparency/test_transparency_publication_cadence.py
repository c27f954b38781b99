"""The public figures change once a day by default, not at every refresh of the rollup: someone who knows that a
neighbour complained this morning, and watches the statistics, must not learn her complaint's body, theme and
region from which totals moved by one in that minute, nor whether she later reported retaliation. Figures
published at a cadence move by a day's (or a week's, or a month's) complaints at once."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from civicwatch.cases.models import CaseStatus, RetaliationCheckIn
from civicwatch.extensions import db
from civicwatch.patterns.models import Allegation
from civicwatch.taxonomy.models import Actor, District, Theme
from civicwatch.transparency.rollup import latest_publication
from config import Config
from tests.factories import create_case

MORNING = dt.datetime(2026, 3, 12, 9, 0, tzinfo=dt.UTC)  # a Thursday


@pytest.fixture
def app_config(app_config):
    app_config["STATISTICS_PUBLISHED"] = "daily"
    return app_config


def received(client, query: str = "") -> int:
    return client.get(f"/transparency/statistics.json?period=2026{query}").get_json()["overall"]["counts"]["received"]


def test_daily_is_the_default():
    assert Config.STATISTICS_PUBLISHED == "daily"


def test_a_complaint_received_this_morning_moves_no_figure_before_midnight(app, client, new_case, clock):
    clock.now = MORNING
    for _ in range(6):
        new_case(CaseStatus.INVESTIGATING, body="police_oversight", theme="misconduct",
                 created_at=MORNING - dt.timedelta(days=3))
    assert received(client) == 6
    assert received(client, "&theme=misconduct") == 6
    clock.advance(minutes=20)
    new_case(CaseStatus.RECEIVED, body="police_oversight", theme="misconduct", created_at=clock.now)
    for minutes in (1, 60, 14 * 60):  # until 23:21 the same day
        clock.now = MORNING + dt.timedelta(minutes=20 + minutes)
        assert received(client) == 6
        assert received(client, "&theme=misconduct") == 6
    clock.now = dt.datetime(2026, 3, 13, 0, 1, tzinfo=dt.UTC)
    assert received(client) == 7
    assert "The figures change once a day, after midnight." in client.get("/transparency").get_data(as_text=True)


def test_a_status_change_is_published_with_the_day_not_in_the_minute(app, client, new_case, clock):
    clock.now = MORNING
    cases = [new_case(CaseStatus.INVESTIGATING, body="police_oversight", created_at=MORNING - dt.timedelta(days=9))
             for _ in range(6)]
    before = client.get("/transparency/statistics.json?period=2026").get_json()
    clock.advance(minutes=5)
    cases[0].status, cases[0].closed_at = CaseStatus.CLOSED, clock.now
    db.session.commit()
    clock.advance(hours=3)
    assert client.get("/transparency/statistics.json?period=2026").get_json() == before


def published_watch(client) -> tuple[str, str]:
    html = client.get("/transparency").get_data(as_text=True)
    return (re.search(r'class="retaliation-check-ins">([^<]*)<', html).group(1),
            re.search(r'class="retaliation-reported">([^<]*)<', html).group(1))


def test_an_answer_reporting_retaliation_is_not_published_in_the_minute_it_came(app, client, clock):
    clock.now = MORNING - dt.timedelta(days=1)
    check_ins = []
    for told in [True] * 5 + [False] * 5:
        case = create_case(CaseStatus.CLOSED, fears_retaliation=True)
        check_in = RetaliationCheckIn(case_id=case.id, round_days=30, retaliation_reported=told or None)
        db.session.add(check_in)
        check_ins.append(check_in)
    db.session.commit()
    clock.now = MORNING
    assert published_watch(client) == ("10", "5")
    clock.advance(minutes=10)
    late = check_ins[-1]
    late.answered_at, late.retaliation_reported = clock.now, True
    db.session.add(RetaliationCheckIn(case_id=create_case(CaseStatus.CLOSED, fears_retaliation=True).id,
                                      round_days=30))
    db.session.commit()
    clock.advance(hours=2)
    assert published_watch(client) == ("10", "5")
    clock.now = dt.datetime(2026, 3, 13, 0, 1, tzinfo=dt.UTC)
    assert published_watch(client) == ("11", "6")


def test_an_allegation_recorded_this_morning_waits_for_the_next_day_in_the_early_warning(app, client, clock):
    clock.now = MORNING
    bo = db.session.query(District).filter_by(code="bo").one()
    force = db.session.query(Theme).filter_by(code="abuse_of_force").one()
    police = db.session.query(Actor).filter_by(code="police").one()

    def allege() -> None:
        case = create_case(CaseStatus.INVESTIGATING, created_at=clock.now - dt.timedelta(days=2))
        db.session.add(Allegation(case=case, theme=force, actor=police, district=bo, region=bo.region,
                                  incident_date=(clock.now - dt.timedelta(days=2)).date()))
        db.session.commit()

    for _ in range(6):
        allege()

    def hotspot() -> str:
        page = client.get("/transparency").get_data(as_text=True)
        return re.search(r"<td>Bo</td><td>Abuse of force</td><td>([^<]*)</td>", page).group(1)

    assert hotspot() == "6"
    clock.advance(minutes=15)
    allege()
    clock.advance(hours=1)
    assert hotspot() == "6"
    clock.now = dt.datetime(2026, 3, 13, 0, 1, tzinfo=dt.UTC)
    assert hotspot() == "7"


@pytest.mark.parametrize(("cadence", "zone", "now", "expected"), [
    ("daily", "UTC", dt.datetime(2026, 3, 12, 9, 0, tzinfo=dt.UTC), dt.datetime(2026, 3, 12, tzinfo=dt.UTC)),
    ("daily", "America/New_York", dt.datetime(2026, 3, 12, 3, 0, tzinfo=dt.UTC),
     dt.datetime(2026, 3, 11, 4, 0, tzinfo=dt.UTC)),  # 23:00 on the 11th in New York, summer time since the 8th
    ("weekly", "UTC", dt.datetime(2026, 3, 12, 9, 0, tzinfo=dt.UTC), dt.datetime(2026, 3, 9, tzinfo=dt.UTC)),
    ("weekly", "UTC", dt.datetime(2026, 3, 9, 0, 0, tzinfo=dt.UTC), dt.datetime(2026, 3, 9, tzinfo=dt.UTC)),
    ("monthly", "UTC", dt.datetime(2026, 3, 12, 9, 0, tzinfo=dt.UTC), dt.datetime(2026, 3, 1, tzinfo=dt.UTC)),
    ("monthly", "Africa/Lagos", dt.datetime(2026, 2, 28, 23, 30, tzinfo=dt.UTC),
     dt.datetime(2026, 2, 28, 23, 0, tzinfo=dt.UTC)),  # 00:30 on 1 March in Lagos
])
def test_the_latest_publication_is_the_start_of_the_deployment_day_week_or_month(cadence, zone, now, expected):
    assert latest_publication(now, cadence, zone) == expected


def test_continuously_publishes_at_every_refresh(app, client, new_case, clock, app_config):
    app.config["STATISTICS_PUBLISHED"] = "continuously"
    clock.now = MORNING
    for _ in range(6):
        new_case(CaseStatus.INVESTIGATING, created_at=MORNING - dt.timedelta(days=3))
    assert received(client) == 6
    new_case(CaseStatus.RECEIVED, created_at=clock.now)
    clock.advance(minutes=1)
    assert received(client) == 7


def test_an_allegation_edited_this_morning_moves_no_early_warning_figure_before_midnight(app, client, clock):
    """Staff moving one recorded allegation to another district (or theme, or service) must not move the published
    hotspots and trends in that minute: someone watching would learn where and what that complaint was."""
    clock.now = MORNING
    bo, kenema = (db.session.query(District).filter_by(code=code).one() for code in ("bo", "kenema"))
    force = db.session.query(Theme).filter_by(code="abuse_of_force").one()
    police = db.session.query(Actor).filter_by(code="police").one()
    allegations = []
    for _ in range(6):
        case = create_case(CaseStatus.INVESTIGATING, created_at=clock.now - dt.timedelta(days=2))
        allegation = Allegation(case=case, theme=force, actor=police, district=bo, region=bo.region,
                                incident_date=(clock.now - dt.timedelta(days=2)).date())
        db.session.add(allegation)
        allegations.append(allegation)
    db.session.commit()

    def hotspot() -> str:
        page = client.get("/transparency").get_data(as_text=True)
        found = re.search(r"<td>Bo</td><td>Abuse of force</td><td>([^<]*)</td>", page)
        return found.group(1) if found else "none"

    def downloaded() -> list[str]:
        return [line for line in client.get("/transparency/early-warning.csv").get_data(as_text=True).splitlines()
                if ",Bo," in line]

    assert hotspot() == "6"
    published_file = downloaded()
    assert published_file
    clock.advance(minutes=15)
    allegations[0].district, allegations[0].region = kenema, kenema.region
    db.session.commit()
    clock.advance(hours=1)
    assert hotspot() == "6"
    assert downloaded() == published_file
    clock.now = dt.datetime(2026, 3, 13, 0, 1, tzinfo=dt.UTC)
    assert hotspot() == "5"
