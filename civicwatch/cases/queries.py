"""Reads for staff pages, always through `visible_cases`."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from civicwatch.accounts.models import User
from civicwatch.cases.models import Case, CaseStatus
from civicwatch.cases.permissions import visible_cases
from civicwatch.database import utcnow
from civicwatch.extensions import db

OPEN_STATUSES = (
    CaseStatus.RECEIVED,
    CaseStatus.TRIAGED,
    CaseStatus.ACKNOWLEDGED,
    CaseStatus.INVESTIGATING,
    CaseStatus.REOPENED,
)


@dataclass
class DashboardFigures:
    open_by_status: dict[str, int]
    overdue: int
    due_this_week: int
    urgent_open: int
    triage_queue: int


def overdue_condition(now: dt.datetime):
    return or_(
        (Case.acknowledged_at.is_(None)) & (Case.acknowledge_due_at < now),
        (Case.responded_at.is_(None)) & (Case.respond_due_at < now),
    ) & Case.waiting_since.is_(None)


def dashboard_figures(user: User) -> DashboardFigures:
    now = utcnow()
    scope = visible_cases(user).where(Case.status.in_(OPEN_STATUSES)).subquery()
    by_status = dict(
        db.session.execute(select(scope.c.status, func.count()).group_by(scope.c.status)).all()
    )
    open_cases = visible_cases(user).where(Case.status.in_(OPEN_STATUSES))

    def count(query) -> int:
        return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0

    return DashboardFigures(
        open_by_status={s.value: by_status.get(s, by_status.get(s.value, 0)) for s in OPEN_STATUSES},
        overdue=count(open_cases.where(overdue_condition(now))),
        due_this_week=count(
            open_cases.where(Case.respond_due_at.between(now, now + dt.timedelta(days=7)))
        ),
        urgent_open=count(open_cases.where(Case.urgent.is_(True))),
        triage_queue=count(open_cases.where(Case.body_id.is_(None))),
    )
