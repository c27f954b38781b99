"""Raw tallies for the public statistics, read from the rollup.

The rollup (`statistics_cells`, `statistics_durations`, kept by `rollup.py`) holds additive counts per month
of receipt, body, theme and region, so a year of a million-case deployment is a few hundred rows; `cube.py`
reads them all at once, after each refresh. Durations come from the rollup too, per body; only under a theme
or region filter are they read from the cases, through indexes on those columns.
Nothing here is suppressed yet: `cube.py` and `report.py` turn tallies into published figures.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext
from sqlalchemy import ColumnElement, Integer, Row, cast, func, select, text

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from civicwatch.open_data import FIRST_YEAR, LAST_YEAR
from civicwatch.transparency.models import CELL_MEASURES, StatisticsRefresh, statistics_cells, statistics_durations

MONTH_PATTERN = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])\Z")
ACKNOWLEDGE, CLOSE = "acknowledge", "close"
BUCKET_HOURS = {ACKNOWLEDGE: 1, CLOSE: 24}  # whole hours to acknowledge, whole days to close
DIMENSIONS = ("overall", "body", "month", "theme", "region")


def month_problem(value: str) -> str | None:
    """Why `value` is not a month the statistics cover ('YYYY-MM' from FIRST_YEAR to LAST_YEAR); None if it is."""
    match = MONTH_PATTERN.match(value)
    if match is None:
        return gettext("Year and month, for example 2026-03")
    if not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
        first, last = f"{FIRST_YEAR}-01", f"{LAST_YEAR}-12"
        return gettext("Choose a month from %(first)s to %(last)s.", first=first, last=last)
    return None


def month_start(month: str) -> dt.datetime:
    """The first instant (UTC) of a 'YYYY-MM' month."""
    year, number = (int(part) for part in month.split("-"))
    return dt.datetime(year, number, 1, tzinfo=dt.UTC)


def next_month(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def months_between(first: str, last: str) -> list[str]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


@dataclass(frozen=True)
class StatisticsFilter:
    """Cases received from `first_month` to `last_month` (both included, 'YYYY-MM'; None: no limit),
    narrowed to one body, theme or region."""

    first_month: str | None = None
    last_month: str | None = None
    body_id: int | None = None
    theme_id: int | None = None
    region_id: int | None = None

    @property
    def narrows_theme_or_region(self) -> bool:
        return self.theme_id is not None or self.region_id is not None

    def case_conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.first_month:
            conditions.append(Case.created_at >= month_start(self.first_month))
        if self.last_month:
            conditions.append(Case.created_at < month_start(next_month(self.last_month)))
        for column, value in ((Case.body_id, self.body_id), (Case.theme_id, self.theme_id),
                              (Case.region_id, self.region_id)):
            if value is not None:
                conditions.append(column == value)
        return conditions

    def rollup_conditions(self, table: Any, with_theme_and_region: bool = True) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.first_month:
            conditions.append(table.c.month >= self.first_month)
        if self.last_month:
            conditions.append(table.c.month <= self.last_month)
        if self.body_id is not None:
            conditions.append(table.c.body_id == self.body_id)
        if with_theme_and_region:
            if self.theme_id is not None:
                conditions.append(table.c.theme_id == self.theme_id)
            if self.region_id is not None:
                conditions.append(table.c.region_id == self.region_id)
        return conditions


Durations = dict[str, dict[int | None, Counter[int]]]  # kind -> body -> bucket -> cases


# ---------------------------------------------------------------- dialect-specific expressions

def dialect_name() -> str:
    return db.session.get_bind().dialect.name


def month_key(dialect: str, column: Any) -> ColumnElement[str]:
    """'2026-03' for a UTC timestamp."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


def hours_between(dialect: str, start: Any, end: Any) -> ColumnElement[float | Decimal]:
    if dialect == "postgresql":
        return func.extract("epoch", end - start) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * 24.0


def duration_bucket(dialect: str, kind: str, end_column: Any) -> ColumnElement[int]:
    """Whole hours (or days) from receipt, rounded down: PostgreSQL rounds a cast, so floor first."""
    units = hours_between(dialect, Case.created_at, end_column) / BUCKET_HOURS[kind]
    if dialect == "postgresql":
        return cast(func.floor(units), Integer)
    return cast(units, Integer)  # SQLite truncates, which is rounding down for durations


DURATION_END = {ACKNOWLEDGE: Case.acknowledged_at, CLOSE: Case.closed_at}


# ---------------------------------------------------------------- reading

def collect_durations(query: StatisticsFilter) -> Durations:
    """How long the cases of the filter took to be acknowledged and closed, per body."""
    dialect = dialect_name()
    if dialect == "postgresql":
        # Small, fast queries: compiling them to machine code would cost more than it saves.
        db.session.execute(text("SET LOCAL jit = off"))
    if query.narrows_theme_or_region:
        as_of = rollup_refreshed_at()
        return {kind: live_durations(query, dialect, kind, as_of) for kind in (ACKNOWLEDGE, CLOSE)}
    return _rollup_durations(query)


def rollup_cells() -> Sequence[Row[Any]]:
    """Every row of the rollup: (month, body_id, theme_id, region_id, *CELL_MEASURES)."""
    table = statistics_cells
    return db.session.execute(select(table.c.month, table.c.body_id, table.c.theme_id, table.c.region_id,
                                     *(table.c[name] for name in CELL_MEASURES))).all()


def rollup_refreshed_at() -> dt.datetime | None:
    """When the rollup was last refreshed: the moment its figures describe."""
    state = db.session.get(StatisticsRefresh, 1)
    return state.refreshed_at if state else None


def _rollup_durations(query: StatisticsFilter) -> Durations:
    table = statistics_durations
    statement = (
        select(table.c.kind, table.c.body_id, table.c.bucket, func.sum(table.c.cases))
        .where(*query.rollup_conditions(table, with_theme_and_region=False))
        .group_by(table.c.kind, table.c.body_id, table.c.bucket)
    )
    durations: Durations = {ACKNOWLEDGE: defaultdict(Counter), CLOSE: defaultdict(Counter)}
    for kind, body_id, bucket, cases in db.session.execute(statement):
        durations[kind][body_id][max(int(bucket), 0)] += int(cases)
    return durations


def live_durations(query: StatisticsFilter, dialect: str, kind: str,
                   as_of: dt.datetime | None) -> dict[int | None, Counter[int]]:
    """Durations straight from the cases (for a theme or region, which the duration rollup omits), of the cases
    acknowledged or closed by `as_of`, the last refresh of the rollup: like every other figure, a median moves only
    with a refresh (read as of now, it moved when one case was acknowledged, telling when and how fast)."""
    durations: dict[int | None, Counter[int]] = defaultdict(Counter)
    if as_of is None:  # never refreshed: no figure yet
        return durations
    end_column = DURATION_END[kind]
    bucket = duration_bucket(dialect, kind, end_column).label("bucket")
    statement = (select(Case.body_id, bucket, func.count())
                 .where(end_column.is_not(None), end_column <= as_of, *query.case_conditions())
                 .group_by(Case.body_id, bucket))
    for body_id, bucket_value, cases in db.session.execute(statement):
        durations[body_id][max(int(bucket_value), 0)] += cases
    return durations


def statistics_start(configured: str | None, current_month: str) -> str:
    """The first month of "all time", of a range with no start and of the period menu: the deployment's
    STATISTICS_SINCE, else January of the year of the first case (this month's year if none). Never the first month
    with a case: "fewer than 5" there would be known to be at least one, and with the total and a withheld month
    (at least 5) it could be worked out."""
    first_case_month, _ = rollup_month_range()
    start = configured or f"{(first_case_month or current_month)[:4]}-01"
    return min(start, current_month)


def rollup_month_range() -> tuple[str | None, str | None]:
    """The first and last month with cases in the rollup, for 'all time' and the period menu."""
    return tuple(db.session.execute(
        select(func.min(statistics_cells.c.month), func.max(statistics_cells.c.month))).one())
