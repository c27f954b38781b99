"""Working days: the deployment's weekend (WEEKEND_DAYS in config.py) and its public holidays (the holidays table,
edited by admins on the deadlines page or loaded from CSV, kept per process like the taxonomy). Deadlines count
in them; a deadline is the end of its last working day in the deployment's time zone (TIMEZONE), stored in UTC."""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import select

from civicwatch.extensions import db
from civicwatch.settings import check_weekend
from civicwatch.taxonomy.cache import cached
from civicwatch.taxonomy.models import Holiday

DEFAULT_WEEKEND = (5, 6)  # Saturday and Sunday (Monday is 0)
# More working days than any deadline counts: a bound on the loop, never reached with a sane calendar.
MAX_SPAN_DAYS = 3660


@dataclass(frozen=True)
class WorkingCalendar:
    weekend: frozenset[int]
    holidays: frozenset[dt.date]
    zone: ZoneInfo

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays

    def local_date(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.zone).date()

    def end_of_day(self, day: dt.date) -> dt.datetime:
        """The last second of `day` in the deployment's time zone, in UTC."""
        local = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=self.zone)
        return local.astimezone(dt.UTC)

    def add_working_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """The end of the `days`-th working day after the day of `start` (the day itself never counts, so a
        report sent on a Saturday evening has as many working days as one sent on Monday morning)."""
        return self.end_of_day(_working_days_after(self, self.local_date(start), days))

    def working_days_between(self, start: dt.datetime, end: dt.datetime) -> int:
        """How many working days began after the day of `start`, up to the day of `end` included: the working
        days a clock stopped at `start` and started again at `end` stood still (none within one day)."""
        first, last = self.local_date(start), self.local_date(end)
        span = min((last - first).days, MAX_SPAN_DAYS)
        return sum(self.is_working_day(first + dt.timedelta(days=offset)) for offset in range(1, span + 1))

    def add_months(self, start: dt.datetime, months: int) -> dt.datetime:
        """The end of the same day `months` later (the month's last day when it is shorter): "within three
        months" as the law counts it, in calendar days."""
        day = self.local_date(start)
        month_index = day.month - 1 + months
        year, month = day.year + month_index // 12, month_index % 12 + 1
        return self.end_of_day(dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1])))

    def add_days(self, start: dt.datetime, days: int) -> dt.datetime:
        return self.end_of_day(self.local_date(start) + dt.timedelta(days=days))


@lru_cache(maxsize=1024)
def _working_days_after(calendar: WorkingCalendar, day: dt.date, days: int) -> dt.date:
    """The `days`-th working day after `day`. Kept per calendar, day and count: every new case asks for the same
    few deadlines of the same day, each a walk of up to a few months of days."""
    counted = 0
    for _ in range(MAX_SPAN_DAYS):
        if counted >= max(days, 0):
            return day
        day += dt.timedelta(days=1)
        counted += calendar.is_working_day(day)
    raise ValueError("The calendar has no working days: check WEEKEND_DAYS.")


def weekend_days() -> frozenset[int]:
    days = current_app.config.get("WEEKEND_DAYS", DEFAULT_WEEKEND) if has_app_context() else DEFAULT_WEEKEND
    return check_weekend(days)


def _all_holidays() -> frozenset[dt.date]:
    return frozenset(db.session.scalars(select(Holiday.day)))


def working_calendar(start: dt.datetime) -> WorkingCalendar:
    """The calendar for deadlines counted from `start`. The holidays are kept per process with the taxonomy
    (taxonomy/cache.py: a changed holiday writes a new taxonomy version), so a deadline costs no query; past
    holidays stay in the set, harmless since a deadline never counts days before its start."""
    zone = ZoneInfo(current_app.config.get("TIMEZONE", "UTC") if has_app_context() else "UTC")
    return WorkingCalendar(weekend_days(), cached("holidays", _all_holidays), zone)
