"""The dashboard's maintained figures: cases per body and status (`case_counts`), and the quarter's medians
(`dashboard_medians`).

`case_counts` changes in the transaction of every change it counts: a case stored (`count_new_case`), its status
changed (`workflow.transition_case`) or its body changed (routing), through `move_case`. Each change is one
upsert that adds to the stored number in the database (never a value read earlier), so concurrent writers do not
lose each other's changes; rows are touched in key order, so two writers never wait on each other in a cycle.
A case stored is counted when its transaction commits, where it is by then: every new case adds to the same row
(triage's "received"), whose lock would otherwise be held, and wait for, through all the rest of the transaction.
Retention erases a case's content, never the case, its status or its body: nothing to count there.
"""
from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from sqlalchemy import ColumnElement, SQLColumnExpression, Table, event, func, inspect, select, text
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from civicwatch.cases.models import NO_BODY, Case, CaseCount, CaseStatus, DashboardMedians
from civicwatch.database import (
    deployment_date,
    deployment_midnight,
    touches_table,
    upsert_insert,
    utcnow,
    within_transaction,
)
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body

CountKey = tuple[int, str]  # (body_id or NO_BODY, status value)
_UNCOUNTED_KEY = "civicwatch.cases_uncounted"
_COUNTED_IN_SAVEPOINT_KEY = "civicwatch.cases_counted_in_savepoint"


def _table(model: type[CaseCount] | type[DashboardMedians]) -> Table:
    return cast(Table, model.__table__)


def key_of(case: Case) -> CountKey:
    """Where the case is counted now. Reads the body through the relationship: routing sets `case.body`, and
    `case.body_id` follows only at the next flush."""
    body = case.body
    return (body.id if body is not None else NO_BODY), (case.status or CaseStatus.RECEIVED).value


def count_new_case(case: Case) -> None:
    """Count a case just stored (flushed once already, so that it has its row) when the transaction commits,
    where it is then: moves before that change nothing. A statement on `case_counts` in the transaction counts
    it first, so that the table reads as if it had been counted at once."""
    db.session.info.setdefault(_UNCOUNTED_KEY, []).append(case)


def move_case(before: CountKey, case: Case) -> None:
    """Count the case where it is now instead of `before` (taken with `key_of` before the change). Flushes."""
    if any(waiting is case for waiting in db.session.info.get(_UNCOUNTED_KEY, ())):
        return
    after = key_of(case)
    if after != before:
        _add(db.session(), {before: -1, after: 1})


def _add(session: Session, changes: dict[CountKey, int]) -> None:
    session.flush()  # the case's row is written (and locked) before the counts' rows: one lock order for all
    _upsert_counts(session, changes)


def _upsert_counts(session: Session, changes: dict[CountKey, int]) -> None:
    for (body_id, status), delta in sorted(changes.items()):
        session.execute(_UPSERT_COUNT, {"body_id": body_id, "status": status, "cases": delta})


# Every new case runs it. Text, the same on SQLite and PostgreSQL: the dialects' on_conflict_do_update has no cache
# key, so that statement was compiled again each time it ran (about a millisecond of a web report's CPU); a text's
# compiled form is cached.
_UPSERT_COUNT = text(
    f"INSERT INTO {CaseCount.__tablename__} (body_id, status, cases) VALUES (:body_id, :status, :cases) "
    f"ON CONFLICT (body_id, status) DO UPDATE SET cases = {CaseCount.__tablename__}.cases + excluded.cases")


def _count_uncounted(session: Session) -> None:
    cases: list[Case] = session.info.pop(_UNCOUNTED_KEY, [])
    if not cases:
        return
    session.flush()
    stored = [case for case in cases if inspect(case).persistent]  # a savepoint rolled back expunged the others
    if savepoint := session.get_nested_transaction():
        session.info.setdefault(_COUNTED_IN_SAVEPOINT_KEY, []).extend((case, savepoint) for case in stored)
    _add(session, Counter(key_of(case) for case in stored))


# Inserted ahead of the audit log's listener: a transaction takes the rows of `case_counts` before the audit chain's
# lock, as one that moved a case (counting it then) and commits does; the opposite order could deadlock with it.
@event.listens_for(Session, "before_commit", insert=True)
def _count_before_commit(session: Session) -> None:
    if not session.in_nested_transaction():
        _count_uncounted(session)


@event.listens_for(Session, "do_orm_execute")
def _count_before_using_the_counts(state: ORMExecuteState) -> None:
    if state.session.info.get(_UNCOUNTED_KEY) and touches_table(state.statement, _table(CaseCount)):
        _count_uncounted(state.session)


@event.listens_for(Session, "after_soft_rollback")
def _count_again_after_a_rolled_back_savepoint(session: Session, previous_transaction: SessionTransaction) -> None:
    counted: list[tuple[Case, SessionTransaction]] = session.info.get(_COUNTED_IN_SAVEPOINT_KEY, [])
    undone = [case for case, savepoint in counted if within_transaction(savepoint, previous_transaction)]
    counted[:] = [(case, savepoint) for case, savepoint in counted if not within_transaction(savepoint, previous_transaction)]
    if undone and previous_transaction.parent is not None:
        session.info.setdefault(_UNCOUNTED_KEY, []).extend(undone)


@event.listens_for(Session, "after_transaction_end")
def _forget_uncounted(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_UNCOUNTED_KEY, None)
        session.info.pop(_COUNTED_IN_SAVEPOINT_KEY, None)


def counted_from_cases() -> Counter[CountKey]:
    """What `case_counts` should hold, counted from the cases themselves."""
    rows = db.session.execute(select(func.coalesce(Case.body_id, NO_BODY), Case.status, func.count())
                              .group_by(Case.body_id, Case.status))
    return Counter({(body_id, status.value): count for body_id, status, count in rows if count})


def stored_counts() -> Counter[CountKey]:
    rows = db.session.execute(select(CaseCount.body_id, CaseCount.status, CaseCount.cases))
    return Counter({(body_id, status): count for body_id, status, count in rows if count})


def count_discrepancies() -> dict[CountKey, tuple[int, int]]:
    """Every (body, status) whose stored count differs from the cases: {key: (stored, counted)}. Empty when right."""
    stored, counted = stored_counts(), counted_from_cases()
    return {key: (stored[key], counted[key]) for key in sorted(set(stored) | set(counted)) if stored[key] != counted[key]}


def rebuild_case_counts() -> None:
    """Recount `case_counts` from the cases (after a bulk load that bypassed the operations). Flushes."""
    db.session.execute(_table(CaseCount).delete())
    db.session.execute(_table(CaseCount).insert(), [
        {"body_id": body_id, "status": status, "cases": count}
        for (body_id, status), count in counted_from_cases().items()] or [])
    db.session.flush()


# ---------------------------------------------------------------- the quarter's medians

# Quarters are the deployment's (TIMEZONE), as its staff count days: 22:00 on 31 March in New York is still Q1.

def quarter_start(now: dt.datetime) -> dt.datetime:
    """When the quarter of `now` began, in UTC."""
    today = deployment_date(now)
    return deployment_midnight(dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1))


def quarter_name(now: dt.datetime) -> str:
    today = deployment_date(now)
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def quarter_label(now: dt.datetime) -> str:
    """As the dashboard shows it: "Q1 2026"."""
    year, quarter = quarter_name(now).split("-")
    return f"{quarter} {year}"


def days_between(start: SQLColumnExpression[dt.datetime | None],
                 end: SQLColumnExpression[dt.datetime | None]) -> ColumnElement[float | Decimal]:
    if db.session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start) / 86400.0
    return func.julianday(end) - func.julianday(start)


@dataclass
class _Durations:
    acknowledge: dict[int, list[float]]
    close: dict[int, list[float]]


def _durations_by_body(end: SQLColumnExpression[dt.datetime | None], since: dt.datetime,
                       *conditions: ColumnElement[bool]) -> dict[int, list[float]]:
    """Days from receipt to `end`, for the cases whose `end` falls after `since`, by body and for every body."""
    found: dict[int, list[float]] = defaultdict(list)
    rows = db.session.execute(select(Case.body_id, days_between(Case.created_at, end))
                              .where(end.is_not(None), end >= since, *conditions))
    for body_id, days in rows:
        found[NO_BODY].append(float(days))
        if body_id is not None:
            found[body_id].append(float(days))
    return found


def _median(values: Iterable[float]) -> float | None:
    ordered = sorted(values)
    return round(statistics.median(ordered), 1) if ordered else None


def refresh_dashboard_medians(now: dt.datetime | None = None) -> int:
    """Compute the quarter's medians of every body (and of every body together) into `dashboard_medians`, for
    the worker. Returns the rows written. Flushes. The medians are the body's, recusals aside: a median cannot
    be taken apart, and the figure names no case."""
    now = now or utcnow()
    since = quarter_start(now)
    durations = _Durations(_durations_by_body(Case.acknowledged_at, since),
                           _durations_by_body(Case.closed_at, since, Case.status == CaseStatus.CLOSED))
    rows = [{"body_id": body_id, "quarter": quarter_name(now), "computed_at": now,
             "acknowledged": len(durations.acknowledge.get(body_id, ())),
             "days_to_acknowledge": _median(durations.acknowledge.get(body_id, ())),
             "closed": len(durations.close.get(body_id, ())), "days_to_close": _median(durations.close.get(body_id, ()))}
            for body_id in sorted({NO_BODY, *db.session.scalars(select(Body.id))})]
    table = _table(DashboardMedians)
    for row in rows:  # upserted, not deleted and inserted: two workers may refresh at once
        statement = upsert_insert(db.session())(table).values(**row)
        db.session.execute(statement.on_conflict_do_update(
            index_elements=[table.c.body_id], set_={name: statement.excluded[name] for name in row if name != "body_id"}))
    db.session.flush()
    return len(rows)
