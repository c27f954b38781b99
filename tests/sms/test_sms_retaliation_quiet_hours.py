"""Quiet hours: the check-ins CivicWatch texts of its own accord are not sent between QUIET_START_HOUR and
QUIET_END_HOUR in the deployment's time zone (TIMEZONE); one due then waits until they end, and is asked once, never
dropped nor doubled. Replies to a text the citizen just sent are not held. With the clock fixture, on a real
database, through the deliver worker's check-in job."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from civicwatch import create_app
from civicwatch.cases.models import Case, CaseStatus, Channel, RetaliationCheckIn
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage
from civicwatch.settings import SettingsError
from civicwatch.sms.operations import ask_due_check_ins
from civicwatch.sms.replies import Reply, render_reply
from tests.conftest import make_config
from tests.factories import create_case
from tests.sms.conftest import PHONE
from tests.sms.test_sms_retaliation_open import ask

LAGOS = ZoneInfo("Africa/Lagos")  # UTC+1 all year: local hours differ from UTC's


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config.update(TIMEZONE="Africa/Lagos", QUIET_START_HOUR=21, QUIET_END_HOUR=7)
    return app_config


def at_local(clock, day: dt.date, hour: int, minute: int = 0) -> None:
    clock.now = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LAGOS).astimezone(dt.UTC)


def run_job() -> int:
    asked = ask_due_check_ins(utcnow())
    db.session.commit()
    return asked


def counts() -> tuple[int, int]:
    """The check-ins asked and the check-in texts queued."""
    return (db.session.scalar(select(func.count()).select_from(RetaliationCheckIn)),
            db.session.scalar(select(func.count()).where(OutboundMessage.purpose == "retaliation_check_in")))


def investigated(clock) -> tuple[Case, dt.date]:
    """A case whose first check-in while open falls due on the returned (local) day, at its local morning."""
    case = create_case(CaseStatus.INVESTIGATING, phone=PHONE, channel=Channel.SMS, fears_retaliation=True)
    due = case.acknowledged_at + dt.timedelta(days=14)
    return case, due.astimezone(LAGOS).date()


def test_a_check_in_due_in_quiet_hours_across_midnight_waits_until_they_end_then_goes_once(app, clock):
    _, day = investigated(clock)
    next_day = day + dt.timedelta(days=1)
    for moment in ((day, 21, 0), (day, 23, 30), (next_day, 0, 0), (next_day, 2, 0), (next_day, 6, 59)):
        at_local(clock, *moment)
        assert run_job() == 0 and counts() == (0, 0), moment
    at_local(clock, next_day, 7, 0)
    assert run_job() == 1 and counts() == (1, 1)
    for minutes in (1, 30, 600):
        clock.advance(minutes=minutes)
        assert run_job() == 0 and counts() == (1, 1)


def test_the_hour_before_quiet_hours_is_not_quiet(app, clock):
    _, day = investigated(clock)
    at_local(clock, day, 20, 59)
    assert run_job() == 1 and counts() == (1, 1)


@pytest.mark.parametrize("quiet", [(12, 14)])
def test_a_window_within_one_day(app, clock, quiet):
    app.config.update(QUIET_START_HOUR=quiet[0], QUIET_END_HOUR=quiet[1])
    _, day = investigated(clock)
    for moment in ((day, 12, 0), (day, 13, 59)):
        at_local(clock, *moment)
        assert run_job() == 0 and counts() == (0, 0)
    at_local(clock, day, 14, 0)
    assert run_job() == 1 and counts() == (1, 1)


def test_the_same_start_and_end_hour_means_no_quiet_hours(app, clock):
    app.config.update(QUIET_START_HOUR=0, QUIET_END_HOUR=0)
    _, day = investigated(clock)
    at_local(clock, day + dt.timedelta(days=1), 2, 0)
    assert run_job() == 1 and counts() == (1, 1)


def test_a_round_after_closure_due_at_night_waits_for_the_morning(app, clock):
    case = create_case(CaseStatus.CLOSED, phone=PHONE, fears_retaliation=True)
    day = (case.closed_at + dt.timedelta(days=31)).astimezone(LAGOS).date()
    at_local(clock, day, 3, 0)
    assert run_job() == 0 and counts() == (0, 0)
    at_local(clock, day, 7, 0)
    assert run_job() == 1 and counts() == (1, 1)
    assert db.session.scalar(select(RetaliationCheckIn.round_days)) == 30


def test_an_answer_texted_at_night_is_replied_to_at_once(app, clock, text):
    case, day = investigated(clock)
    ask(case, clock)  # asked and delivered at 10:30 local
    at_local(clock, day + dt.timedelta(days=1), 2, 0)
    assert text("YES") == render_reply(Reply.RETALIATION_FLAGGED, reference=case.reference)


@pytest.mark.parametrize(("name", "value"), [("QUIET_START_HOUR", 24), ("QUIET_END_HOUR", -1),
                                             ("QUIET_START_HOUR", 7.5)])
def test_hours_outside_the_day_are_refused_at_start(database_url, tmp_path, name, value):
    with pytest.raises(SettingsError, match=f"^CIVICWATCH_{name} must be"):
        create_app(make_config(database_url, tmp_path, **{name: value}))
