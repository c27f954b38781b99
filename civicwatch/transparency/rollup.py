"""Keeping the statistics rollup up to date with the cases.

A month of the rollup is a pure function of the cases received that month and of the time of the refresh
(which open cases are past their deadlines by then). A refresh recomputes:
- every month in which a case changed since the previous refresh (`cases.updated_at`, set by the ORM on
  every change of a case; changes to its recommendations touch the case too), looking back a little
  further so that a transaction still open at the previous refresh is not missed;
- every month in which a case passed a deadline since the previous refresh without changing: an
  acknowledgement deadline (by `acknowledge_due_at`) or the body's closing target (by receipt date);
- everything, when it was never built or a body's closing target changed.
The public figures change at a cadence (STATISTICS_PUBLISHED): by default the first refresh after the
deployment's midnight publishes the day's changes all at once, so that nobody watching the figures learns which
totals one complaint moved, or when its status changed. With "continuously", the rollup is refreshed when it is
older than STATISTICS_REFRESH_SECONDS. The `deliver` worker refreshes it when it is due, so that no public
request waits for it (page views do it only where STATISTICS_REFRESH_ON_PAGE_VIEW is set: tests, a machine
without a worker); `flask civicwatch statistics refresh [--full]` does the same from cron or after a bulk
import.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import ColumnElement, String, and_, delete, distinct, func, insert, literal, or_, select, text

from civicwatch.cases.models import Case, CaseStatus, Outcome, Recommendation, RemedyStatus
from civicwatch.database import UTCDateTime, deployment_midnight, deployment_zone, utcnow
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body
from civicwatch.transparency.cube import as_published, forget_statistics_cube, statistics_cube
from civicwatch.transparency.early_warning import early_warning, to_kept
from civicwatch.transparency.models import (
    CELL_MEASURES,
    StatisticsRefresh,
    statistics_cells,
    statistics_durations,
)
from civicwatch.transparency.publications import pack
from civicwatch.transparency.statistics import (
    DURATION_END,
    dialect_name,
    duration_bucket,
    hours_between,
    month_key,
    month_start,
    next_month,
)

log = logging.getLogger(__name__)

S = CaseStatus
STATUS_MEASURES = {
    "in_progress": (S.RECEIVED, S.TRIAGED, S.ACKNOWLEDGED, S.INVESTIGATING, S.REOPENED),
    "answered": (S.RESPONDED,),
    "closed_answered": (S.CLOSED,),
    "rejected": (S.REJECTED,),
    "referred": (S.REFERRED,),
    "withdrawn": (S.WITHDRAWN,),
}
# A transaction that changed a case may commit a while after it set `updated_at`; look back this far.
LOOK_BACK = dt.timedelta(minutes=10)
KEY_COLUMNS = ("month", "body_id", "theme_id", "region_id")
_REFRESH_LOCK_ID = 727_012


@dataclass(frozen=True)
class RefreshResult:
    months: int  # how many months were recomputed (every month on a full rebuild)
    full: bool
    skipped: bool = False  # another process was refreshing


# ---------------------------------------------------------------- when

def refresh_due(now: dt.datetime | None = None) -> bool:
    """Whether the rollup was never built, or was built before the latest publication (at the cadence of
    STATISTICS_PUBLISHED; "continuously": when it is older than STATISTICS_REFRESH_SECONDS)."""
    state = db.session.get(StatisticsRefresh, 1)
    if state is None:
        return True
    now = now or utcnow()
    cadence = current_app.config.get("STATISTICS_PUBLISHED", "daily")
    if cadence == "continuously":
        return (now - state.refreshed_at).total_seconds() >= current_app.config.get("STATISTICS_REFRESH_SECONDS", 60)
    return state.refreshed_at < latest_publication(now, cadence, deployment_zone())


def latest_publication(now: dt.datetime, cadence: str, zone: str) -> dt.datetime:
    """When the current day, week (from Monday) or month began in the deployment's time zone, in UTC."""
    today = now.astimezone(ZoneInfo(zone)).date()
    if cadence == "weekly":
        today -= dt.timedelta(days=today.weekday())
    elif cadence == "monthly":
        today = today.replace(day=1)
    elif cadence != "daily":
        raise ValueError(f"no publication moment for {cadence!r}")
    return deployment_midnight(today, zone)


def refresh_statistics(full: bool = False, now: dt.datetime | None = None) -> RefreshResult:
    """Recompute what changed since the last refresh (everything if `full`). Flushes only."""
    now = now or utcnow()
    dialect = dialect_name()
    if not _take_lock(dialect):
        return RefreshResult(0, full, skipped=True)
    state = db.session.get(StatisticsRefresh, 1)
    # The figures as published until now, read before the rollup changes: the next publication starts from them.
    before = as_published(statistics_cube(current_app.config["SMALL_COUNT_THRESHOLD"])) if state else None
    targets = _closing_targets()
    if full or state is None or state.targets != targets:
        months = _rebuild_everything(dialect, now)
        full = True
    else:
        since = state.refreshed_at - LOOK_BACK
        changed = sorted(set(months_changed_since(dialect, since)) | set(months_past_deadline(dialect, since, now)))
        for chunk in _chunks(changed, 24):
            _rebuild_months(dialect, chunk, now)
        months = len(changed)
    if state is None:
        state = StatisticsRefresh(id=1)
        db.session.add(state)
    state.refreshed_at, state.targets = now, targets
    state.published_before = pack(before) if before is not None else None
    state.early_warning = to_kept(early_warning(now, current_app.config["SMALL_COUNT_THRESHOLD"],
                                                state.early_warning))
    db.session.flush()
    forget_statistics_cube()
    log.info("statistics rollup refreshed: %s months (full: %s)", months, full)
    return RefreshResult(months, full)


def _take_lock(dialect: str) -> bool:
    # SQLite serialises writers itself; PostgreSQL: one refresh at a time, the others use the rollup as is.
    if dialect != "postgresql":
        return True
    return bool(db.session.scalar(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": _REFRESH_LOCK_ID}))


def _closing_targets() -> dict[str, int]:
    return {str(body_id): days for body_id, days in db.session.execute(
        select(Body.id, Body.target_closed_within_days))}


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def months_changed_since(dialect: str, since: dt.datetime) -> list[str]:
    month = month_key(dialect, Case.created_at)
    return [m for m in db.session.scalars(select(month).where(Case.updated_at >= since).distinct()) if m]


def months_past_deadline(dialect: str, since: dt.datetime, now: dt.datetime) -> list[str]:
    """Months with an open case that passed a deadline between `since` and `now` without changing."""
    month = month_key(dialect, Case.created_at)
    acknowledgement = select(month).where(
        Case.acknowledge_due_at >= since, Case.acknowledge_due_at < now, Case.acknowledged_at.is_(None),
        Case.closed_at.is_(None)).distinct()
    months = set(db.session.scalars(acknowledgement))
    by_target: dict[int, list[int]] = defaultdict(list)
    for body_id, days in db.session.execute(select(Body.id, Body.target_closed_within_days)):
        by_target[days].append(body_id)
    for days, bodies in by_target.items():  # received exactly `days` before some moment in the span
        target = dt.timedelta(days=days)
        closing = select(month).where(
            Case.closed_at.is_(None), Case.body_id.in_(bodies),
            Case.created_at >= since - target, Case.created_at < now - target).distinct()
        months |= set(db.session.scalars(closing))
    return [m for m in months if m]


# ---------------------------------------------------------------- what

def _rebuild_everything(dialect: str, now: dt.datetime) -> int:
    db.session.execute(delete(statistics_cells))
    db.session.execute(delete(statistics_durations))
    cells = cell_rows(dialect, [], now)
    _insert(statistics_cells, cells)
    insert_durations(dialect, [])
    return len({row["month"] for row in cells})


def _rebuild_months(dialect: str, months: list[str], now: dt.datetime) -> None:
    for table in (statistics_cells, statistics_durations):
        db.session.execute(delete(table).where(table.c.month.in_(months)))
    conditions = month_conditions(months)
    _insert(statistics_cells, cell_rows(dialect, conditions, now))
    insert_durations(dialect, conditions)


def _insert(table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 5000):
        batch = rows[start:start + 5000]
        if batch:
            db.session.execute(insert(table), batch)


def month_conditions(months: list[str]) -> list[ColumnElement[bool]]:
    """Cases received in any of `months` (ranges on created_at, so that its index is used)."""
    return [or_(*(and_(Case.created_at >= month_start(m), Case.created_at < month_start(next_month(m)))
                  for m in months))]


# ---------------------------------------------------------------- the source queries

def _cell_measures(dialect: str, now: dt.datetime) -> list[ColumnElement[Any]]:
    at_now = literal(now, UTCDateTime)
    target_hours = Body.target_closed_within_days * 24
    is_open = Case.closed_at.is_(None)
    ack_overdue = and_(Case.acknowledged_at.is_(None), is_open, Case.waiting_since.is_(None),
                       Case.acknowledge_due_at < at_now)
    closed_in_time = and_(Case.closed_at.is_not(None), duration_bucket(dialect, "close", Case.closed_at)
                          <= Body.target_closed_within_days)
    close_due = and_(Case.body_id.is_not(None), or_(
        Case.closed_at.is_not(None), hours_between(dialect, Case.created_at, at_now) > target_hours))
    measures: list[ColumnElement[Any]] = [func.count().label("received")]
    measures += [func.count().filter(Case.status.in_(statuses)).label(name)
                 for name, statuses in STATUS_MEASURES.items()]
    measures += [
        func.count(Case.acknowledged_at).label("acknowledged"),
        func.count().filter(Case.acknowledged_at <= Case.acknowledge_due_at).label("ack_on_time"),
        func.count().filter(ack_overdue).label("ack_overdue"),
        func.count().filter(close_due).label("close_due"),
        func.count().filter(closed_in_time).label("close_on_time"),
        func.count().filter(Case.routed_by_hand.is_(True)).label("by_hand"),
        func.count(Case.satisfaction).label("ratings"),
        func.coalesce(func.sum(Case.satisfaction), 0).label("rating_sum"),
    ]
    measures += [func.count().filter(Case.satisfaction == score).label(f"rated_{score}") for score in range(1, 6)]
    measures += [func.count().filter(Case.outcome == outcome).label(f"outcome_{outcome.value}")
                 for outcome in Outcome]
    return measures


def cell_rows(dialect: str, conditions: list[ColumnElement[bool]], now: dt.datetime) -> list[dict[str, Any]]:
    """Rollup rows, one per (month, body, theme, region), for the cases matching `conditions`, as of `now`."""
    month = month_key(dialect, Case.created_at).label("month")
    keys = (month, Case.body_id, Case.theme_id, Case.region_id)
    rows: dict[tuple, dict[str, Any]] = {}
    statement = (select(*keys, *_cell_measures(dialect, now)).select_from(Case)
                 .outerjoin(Body, Body.id == Case.body_id).where(*conditions).group_by(*keys))
    for row in db.session.execute(statement).mappings():
        rows[tuple(row[name] for name in KEY_COLUMNS)] = dict(row)
    recommendations = (
        select(*keys, *(func.count().filter(Recommendation.status == status).label(f"rec_{status.value}")
                        for status in RemedyStatus),
               func.count(distinct(Recommendation.case_id)).label("cases_with_recommendations"))
        .select_from(Recommendation).join(Case, Case.id == Recommendation.case_id)
        .where(*conditions).group_by(*keys)
    )
    for row in db.session.execute(recommendations).mappings():
        target = rows.setdefault(tuple(row[name] for name in KEY_COLUMNS), {name: row[name] for name in KEY_COLUMNS})
        target.update({name: value for name, value in row.items() if name not in KEY_COLUMNS})
    return [{**{name: row[name] for name in KEY_COLUMNS}, **{name: int(row.get(name) or 0) for name in CELL_MEASURES}}
            for row in rows.values()]


def insert_durations(dialect: str, conditions: list[ColumnElement[bool]]) -> None:
    """Rollup rows of durations, written by the database itself: per month, body and kind, how many cases
    took each whole hour (to acknowledge) or day (to close)."""
    month = month_key(dialect, Case.created_at).label("month")
    for kind, end_column in DURATION_END.items():
        bucket = duration_bucket(dialect, kind, end_column).label("bucket")
        source = (select(month, Case.body_id, literal(kind, String).label("kind"), bucket, func.count().label("cases"))
                  .where(end_column.is_not(None), *conditions)
                  .group_by(month, Case.body_id, bucket))
        db.session.execute(insert(statistics_durations).from_select(
            ["month", "body_id", "kind", "bucket", "cases"], source))
