"""Raw tallies for the public statistics, read from the rollup and from the open cases.

The rollup (`statistics_cells`, `statistics_durations`) holds additive counts per month of receipt, body,
theme and region, so a year of a million-case deployment is a few hundred rows. What depends on the time
of reading (has an unacknowledged case passed its deadline yet?) is counted live over the open cases only,
through a partial index. Nothing here is suppressed yet: `report.py` turns tallies into published figures.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, cast, func, literal, or_, select, text

from civicwatch.cases.models import Case
from civicwatch.database import UTCDateTime
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body
from civicwatch.transparency.models import CELL_MEASURES, statistics_cells, statistics_durations

MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
ACKNOWLEDGE, CLOSE = "acknowledge", "close"
BUCKET_HOURS = {ACKNOWLEDGE: 1, CLOSE: 24}  # whole hours to acknowledge, whole days to close

CellKey = tuple[int | None, int | None, int | None, str]  # body, theme, region, month


def month_start(month: str) -> dt.datetime:
    """The first instant (UTC) of a 'YYYY-MM' month."""
    year, number = (int(part) for part in month.split("-"))
    return dt.datetime(year, number, 1, tzinfo=dt.timezone.utc)


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


@dataclass
class Tallies:
    """Everything the database said about the period, before any suppression."""

    cells: dict[CellKey, Counter[str]]
    open_cases: dict[CellKey, Counter[str]]  # -> ack_overdue, close_overdue
    durations: dict[str, dict[int | None, Counter[int]]]  # kind -> body -> bucket -> cases


# ---------------------------------------------------------------- dialect-specific expressions

def dialect_name() -> str:
    return db.session.get_bind().dialect.name


def month_key(dialect: str, column: Any) -> ColumnElement[str]:
    """'2026-03' for a UTC timestamp."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


def hours_between(dialect: str, start: Any, end: Any) -> ColumnElement[float]:
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

def collect_tallies(query: StatisticsFilter, now: dt.datetime) -> Tallies:
    """The rollup rows of the period and the live counts over open cases. `now` judges deadlines."""
    dialect = dialect_name()
    if dialect == "postgresql":
        # Small, fast queries: compiling them to machine code would cost more than it saves.
        db.session.execute(text("SET LOCAL jit = off"))
    if query.narrows_theme_or_region:
        durations = {kind: live_durations(query, dialect, kind) for kind in (ACKNOWLEDGE, CLOSE)}
    else:
        durations = _rollup_durations(query)
    return Tallies(cells=_rollup_cells(query), open_cases=_open_cases(query, now, dialect), durations=durations)


def _rollup_cells(query: StatisticsFilter) -> dict[CellKey, Counter[str]]:
    table = statistics_cells
    statement = select(table.c.body_id, table.c.theme_id, table.c.region_id, table.c.month,
                       *(table.c[name] for name in CELL_MEASURES)).where(*query.rollup_conditions(table))
    cells: dict[CellKey, Counter[str]] = {}
    for row in db.session.execute(statement):
        key = (row[0], row[1], row[2], row[3])
        counts = Counter(dict(zip(CELL_MEASURES, row[4:])))
        if key in cells:
            cells[key].update(counts)
        else:
            cells[key] = counts
    return cells


def _rollup_durations(query: StatisticsFilter) -> dict[str, dict[int | None, Counter[int]]]:
    table = statistics_durations
    statement = (
        select(table.c.kind, table.c.body_id, table.c.bucket, func.sum(table.c.cases))
        .where(*query.rollup_conditions(table, with_theme_and_region=False))
        .group_by(table.c.kind, table.c.body_id, table.c.bucket)
    )
    durations: dict[str, dict[int | None, Counter[int]]] = {ACKNOWLEDGE: defaultdict(Counter),
                                                            CLOSE: defaultdict(Counter)}
    for kind, body_id, bucket, cases in db.session.execute(statement):
        durations[kind][body_id][max(int(bucket), 0)] += int(cases)
    return durations


def live_durations(query: StatisticsFilter, dialect: str, kind: str) -> dict[int | None, Counter[int]]:
    """Durations straight from the cases (for a theme or region, which the duration rollup omits)."""
    end_column = DURATION_END[kind]
    bucket = duration_bucket(dialect, kind, end_column).label("bucket")
    statement = (select(Case.body_id, bucket, func.count())
                 .where(end_column.is_not(None), *query.case_conditions())
                 .group_by(Case.body_id, bucket))
    durations: dict[int | None, Counter[int]] = defaultdict(Counter)
    for body_id, bucket_value, cases in db.session.execute(statement):
        durations[body_id][max(int(bucket_value), 0)] += cases
    return durations


def _open_cases(query: StatisticsFilter, now: dt.datetime, dialect: str) -> dict[CellKey, Counter[str]]:
    """Open cases whose deadline has passed by `now`: not acknowledged in time, not closed within target."""
    at_now = literal(now, UTCDateTime)
    month = month_key(dialect, Case.created_at).label("month")
    keys = (Case.body_id, Case.theme_id, Case.region_id, month)
    ack_overdue = and_(Case.acknowledged_at.is_(None), Case.waiting_since.is_(None),
                       Case.acknowledge_due_at < at_now)
    close_overdue = hours_between(dialect, Case.created_at, at_now) > Body.target_closed_within_days * 24
    statement = (
        select(*keys, func.count().filter(ack_overdue), func.count().filter(close_overdue))
        .select_from(Case).outerjoin(Body, Body.id == Case.body_id)
        .where(Case.closed_at.is_(None), *query.case_conditions())
        .group_by(*keys)
    )
    counts: dict[CellKey, Counter[str]] = {}
    for body_id, theme_id, region_id, month_value, ack, close in db.session.execute(statement):
        counts[(body_id, theme_id, region_id, month_value)] = Counter(
            {"ack_overdue": ack or 0, "close_overdue": close or 0})
    return counts


def rollup_month_range() -> tuple[str | None, str | None]:
    """The first and last month with cases in the rollup, for 'all time' and the period menu."""
    return tuple(db.session.execute(  # type: ignore[return-value]
        select(func.min(statistics_cells.c.month), func.max(statistics_cells.c.month))).one())
