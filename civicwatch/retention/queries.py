"""Reads: the schedules, the cases a schedule makes due (the dry run), the holds of a case."""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Exists, Select, exists, select
from sqlalchemy.orm import InstrumentedAttribute

from civicwatch.accounts.models import User
from civicwatch.cases.models import Case, CaseStatus
from civicwatch.cases.permissions import recused_case_ids
from civicwatch.extensions import db
from civicwatch.retention.models import CaseErasure, LegalHold, RetentionSchedule
from civicwatch.taxonomy.models import Body

# The moment a case reached its status, from which its schedule counts. A status without its own timestamp
# counts from the last change of the case.
ENDED = frozenset({CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.REFERRED, CaseStatus.WITHDRAWN})
# The statuses a schedule may name: a case still being worked on is never erased, however long it waits.
ERASABLE = ENDED | {CaseStatus.RESPONDED}


def reached_status_at(status: CaseStatus) -> InstrumentedAttribute[dt.datetime | None] | InstrumentedAttribute[dt.datetime]:
    if status in ENDED:
        return Case.closed_at
    if status is CaseStatus.RESPONDED:
        return Case.responded_at
    return Case.updated_at


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def months_after(day: dt.date, months: int) -> dt.date:
    return months_before(day, -months)


def schedules(body_ids: list[int] | None = None) -> list[RetentionSchedule]:
    """Deployment-wide schedules first, then the bodies' (only `body_ids`' when given), by status."""
    query = select(RetentionSchedule).outerjoin(Body, RetentionSchedule.body_id == Body.id)
    if body_ids is not None:
        query = query.where(RetentionSchedule.body_id.is_(None) | RetentionSchedule.body_id.in_(body_ids))
    ordered = query.order_by(RetentionSchedule.body_id.is_not(None), Body.name, RetentionSchedule.status)
    return list(db.session.scalars(ordered))


@dataclass(frozen=True)
class DueCase:
    case_id: int
    reference: str
    body_id: int | None
    body_name: str
    status: CaseStatus
    reached_at: dt.datetime
    months: int
    due_on: dt.date
    held: bool


def active_hold_exists(case_id: InstrumentedAttribute[int]) -> Exists:
    return exists().where(LegalHold.case_id == case_id, LegalHold.lifted_at.is_(None))


def _due_query(schedule: RetentionSchedule, today: dt.date, overridden: list[int]) -> Select:
    reached = reached_status_at(schedule.status)
    # Due on the day `months` after the day it reached the status: reached before the next midnight (UTC).
    limit = dt.datetime.combine(months_before(today, schedule.months) + dt.timedelta(days=1), dt.time(),
                                tzinfo=dt.UTC)
    query = (select(Case.id, Case.reference, Case.body_id, Body.name, Case.status, reached,
                    active_hold_exists(Case.id))
             .outerjoin(Body, Case.body_id == Body.id)
             .where(Case.status == schedule.status, reached < limit,
                    ~exists().where(CaseErasure.case_id == Case.id)))
    if schedule.body_id is not None:
        return query.where(Case.body_id == schedule.body_id)
    if not overridden:
        return query
    return query.where(Case.body_id.is_(None) | Case.body_id.not_in(overridden))


def due_cases(today: dt.date, body_ids: list[int] | None = None, include_held: bool = False) -> list[DueCase]:
    """The cases whose personal content the schedules say must go by `today` and that are not erased yet,
    by body and in order of arrival (references do not follow it); of `body_ids` only when given (cases without
    a body only when None). Held cases only with `include_held` (marked `held`)."""
    found = [due for schedule in applicable_schedules(body_ids)
             for due in due_under(schedule, today, body_ids, include_held)]
    return sorted(found, key=lambda due: (due.body_name, due.case_id))


def applicable_schedules(body_ids: list[int] | None) -> list[RetentionSchedule]:
    """The schedules that can make a case of `body_ids` (all bodies: None) due."""
    # A schedule for an open status (set before they were refused) makes nothing due.
    query = select(RetentionSchedule).where(RetentionSchedule.status.in_(ERASABLE)).order_by(RetentionSchedule.id)
    if body_ids is not None:
        query = query.where(RetentionSchedule.body_id.is_(None) | RetentionSchedule.body_id.in_(body_ids))
    return list(db.session.scalars(query))


def due_under(schedule: RetentionSchedule, today: dt.date, body_ids: list[int] | None = None,
              include_held: bool = False) -> list[DueCase]:
    """The cases `schedule` makes due by `today` (see `due_cases`)."""
    overridden: list[int] = []
    if schedule.body_id is None:  # bodies with a schedule of their own for the status follow theirs
        overridden = list(db.session.scalars(select(RetentionSchedule.body_id).where(
            RetentionSchedule.status == schedule.status, RetentionSchedule.body_id.is_not(None))))
    query = _due_query(schedule, today, overridden)
    if body_ids is not None:
        query = query.where(Case.body_id.in_(body_ids))
    found = []
    for case_id, reference, body_id, body_name, status, reached, held in db.session.execute(query):
        if held and not include_held:
            continue
        found.append(DueCase(case_id, reference, body_id, body_name or "No body (triage)", status, reached,
                             schedule.months, months_after(reached.date(), schedule.months), bool(held)))
    return found


def without_recused(due: list[DueCase], user: User) -> tuple[list[DueCase], int]:
    """The due cases the user may read about, and how many others they recused from: those are erased all the
    same, but the conflict that keeps the user out of them keeps their references and dates off the user's pages."""
    recused = set(recused_case_ids(user))
    kept = [item for item in due if item.case_id not in recused]
    return kept, len(due) - len(kept)


def by_body(due: list[DueCase]) -> dict[str, list[DueCase]]:
    grouped: dict[str, list[DueCase]] = {}
    for item in due:
        grouped.setdefault(item.body_name, []).append(item)
    return grouped


def holds_of(case: Case) -> list[LegalHold]:
    return list(db.session.scalars(select(LegalHold).where(LegalHold.case_id == case.id).order_by(LegalHold.id)))


def active_hold(case: Case) -> LegalHold | None:
    return db.session.scalar(select(LegalHold).where(LegalHold.case_id == case.id, LegalHold.lifted_at.is_(None)))


def erasure_of(case: Case) -> CaseErasure | None:
    return db.session.scalar(select(CaseErasure).where(CaseErasure.case_id == case.id))
