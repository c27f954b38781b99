"""Reads for the SMS dialogue: a phone's cases."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from civicwatch.cases.feedback import ANSWERED
from civicwatch.cases.models import Case, CaseEvent, CaseStatus
from civicwatch.extensions import db

# Cases with an answer to rate or appeal: the same statuses as the rating and appeal operations accept.
RATEABLE_STATUSES = tuple(sorted(ANSWERED, key=lambda status: status.value))


def latest_case_for_phone(phone_hash: str, statuses: tuple[CaseStatus, ...] | None = None) -> Case | None:
    query = select(Case).where(Case.contact_phone_hash == phone_hash)
    if statuses:
        query = query.where(Case.status.in_(statuses))
    return db.session.scalar(query.order_by(Case.created_at.desc(), Case.id.desc()).limit(1))


def last_public_change(case: Case) -> dt.datetime:
    """When the complainant's timeline last moved (internal edits do not count)."""
    latest = db.session.scalar(
        select(CaseEvent.created_at)
        .where(CaseEvent.case_id == case.id, CaseEvent.public.is_(True))
        .order_by(CaseEvent.created_at.desc())
        .limit(1)
    )
    return latest or case.created_at
