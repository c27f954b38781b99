"""Reads for the SMS dialogue: a phone's cases."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from civicwatch.cases.feedback import ANSWERED
from civicwatch.cases.models import Case, CaseEvent, CaseStatus
from civicwatch.cases.queries import IN_PROGRESS, OPEN_STATUSES
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


def open_cases_for_phone(phone_hash: str) -> list[Case]:
    """The phone's reports that are not closed (answered ones included), oldest first."""
    return list(db.session.scalars(
        select(Case).where(Case.contact_phone_hash == phone_hash, Case.status.in_(IN_PROGRESS))
        .order_by(Case.created_at, Case.id)
    ))


def open_case_by_reference(phone_hash: str, reference: str) -> Case | None:
    """One of the phone's own open cases by reference (references are guessable: never another phone's)."""
    return db.session.scalar(select(Case).where(
        Case.reference == reference, Case.contact_phone_hash == phone_hash, Case.status.in_(IN_PROGRESS)))


def case_waiting_for_phone(phone_hash: str, asked_after: dt.datetime | None) -> Case | None:
    """The phone's open case whose body waits for the complainant, asked after `asked_after` (the phone's
    previous text: a question asked since is what this text answers); the latest question first."""
    query = select(Case).where(Case.contact_phone_hash == phone_hash, Case.status.in_(OPEN_STATUSES),
                               Case.waiting_since.is_not(None))
    if asked_after is not None:
        query = query.where(Case.waiting_since > asked_after)
    return db.session.scalar(query.order_by(Case.waiting_since.desc(), Case.id.desc()).limit(1))
