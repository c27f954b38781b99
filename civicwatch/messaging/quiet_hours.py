"""Quiet hours: from QUIET_START_HOUR until QUIET_END_HOUR in the deployment's time zone (TIMEZONE; a window may
cross midnight, the same hour twice means none), no text CivicWatch starts of its own accord is sent. A phone that
buzzes at night with a text from an oversight body can tell the household, or a visiting officer, that its owner
complained. A reply to a text the citizen just sent is not held: they are awake and waiting for it.

The delivery worker holds the texts due then (delivery._due), until the window ends; the hours a text waits so do
not count towards its maximum age (awake_deadline)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app

from civicwatch.database import deployment_zone
from civicwatch.messaging.models import REPLY_PURPOSES

_DAY = dt.timedelta(days=1)


def held_in_quiet_hours(purpose: str) -> bool:
    """Whether a message of this purpose waits out quiet hours: every one but a reply to the citizen's own text."""
    return purpose not in REPLY_PURPOSES


def _hours() -> tuple[int, int] | None:
    start = int(current_app.config.get("QUIET_START_HOUR", 21))
    end = int(current_app.config.get("QUIET_END_HOUR", 8))
    return None if start == end else (start, end)


def _at(day: dt.date, hour: int, zone: ZoneInfo) -> dt.datetime:
    """`hour` o'clock on `day`, local time, in UTC (an hour skipped by a change to summer time: the first instant
    after it)."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=zone).astimezone(dt.UTC)


def quiet_window(now: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
    """The quiet hours `now` falls in, or else the next ones: (start, end) in UTC. None: the deployment has none."""
    hours = _hours()
    if hours is None:
        return None
    start, end = hours
    zone = ZoneInfo(deployment_zone())
    today = now.astimezone(zone).date()
    for day in (today - _DAY, today, today + _DAY):
        window = _at(day, start, zone), _at(day + _DAY if start > end else day, end, zone)
        if now < window[1]:
            return window
    raise AssertionError("a window ends within two days")  # pragma: no cover


def in_quiet_hours(now: dt.datetime) -> bool:
    window = quiet_window(now)
    return window is not None and window[0] <= now


def awake_deadline(start: dt.datetime, age: dt.timedelta) -> dt.datetime:
    """When a message owed at `start` has been owed for `age` of time outside quiet hours: its maximum age, the
    nights it waited out left uncounted (owed at 20:59 with an hour to live, it is tried until 08:59)."""
    moment, left = start, age
    while (window := quiet_window(moment)) is not None:
        begins, ends = window
        if moment < begins:
            if moment + left <= begins:
                break
            left -= begins - moment
        moment = ends
    return moment + left
