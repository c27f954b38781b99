"""Reading allegations, the register and the subjects a case names. Access to the case is checked by the caller
(cases.permissions.load_case); subjects are filtered by the register rules (patterns.permissions)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, or_, select

from civicwatch.accounts.models import Role, User
from civicwatch.cases.models import Case
from civicwatch.cases.permissions import visible_cases
from civicwatch.extensions import db
from civicwatch.patterns.models import (
    Allegation,
    CaseRelation,
    LinkStatus,
    PatternAlert,
    RelationStatus,
    Subject,
    SubjectLink,
    alert_bodies,
)
from civicwatch.patterns.permissions import visible_subjects
from civicwatch.taxonomy.models import Actor, District


def allegations_of(case: Case) -> list[Allegation]:
    return list(db.session.scalars(select(Allegation).where(Allegation.case_id == case.id).order_by(Allegation.id)))


def allegation_of(case: Case, allegation_id: int) -> Allegation | None:
    """The allegation if it belongs to this case."""
    return db.session.scalar(select(Allegation).where(Allegation.id == allegation_id, Allegation.case_id == case.id))


def register_of_case(case: Case, user: User) -> list[Subject]:
    """The active subjects of the case's body's register that the user may see."""
    if case.body_id is None:
        return []
    query = visible_subjects(user).where(Subject.body_id == case.body_id, Subject.active.is_(True))
    return list(db.session.scalars(query.order_by(Subject.kind, Subject.name)))


def subject_links_of(case: Case, user: User) -> list[SubjectLink]:
    """The subjects the case names, of registers the user may see."""
    seen = visible_subjects(user).with_only_columns(Subject.id)
    return list(db.session.scalars(select(SubjectLink).where(SubjectLink.case_id == case.id,
                                                             SubjectLink.subject_id.in_(seen))
                                   .order_by(SubjectLink.id)))


def subject_link_of(case: Case, user: User, link_id: int) -> SubjectLink | None:
    """The case's subject link, if its subject is of a register the user may see."""
    return next((link for link in subject_links_of(case, user) if link.id == link_id), None)


def register_page(user: User) -> list[Subject]:
    return list(db.session.scalars(visible_subjects(user).order_by(Subject.body_id, Subject.kind, Subject.name)))


def register_codes() -> tuple[set[str], set[str]]:
    """The service (actor) and district codes a register file may use."""
    return set(db.session.scalars(select(Actor.code))), set(db.session.scalars(select(District.code)))


# ---------------------------------------------------------------- related cases

@dataclass(frozen=True)
class Candidate:
    id: int
    text: str
    district_id: int | None
    theme_id: int | None
    incident_date: dt.date | None
    created_at: dt.datetime


def named_subject_ids(case_ids: list[int]) -> dict[int, set[int]]:
    """The subjects each case names (proposed or confirmed, not rejected)."""
    found: dict[int, set[int]] = {}
    if not case_ids:
        return found
    rows = db.session.execute(select(SubjectLink.case_id, SubjectLink.subject_id).where(
        SubjectLink.case_id.in_(case_ids), SubjectLink.status != LinkStatus.REJECTED))
    for case_id, subject_id in rows:
        found.setdefault(case_id, set()).add(subject_id)
    return found


def relation_candidates(case: Case, window: dt.timedelta, limit: int) -> list[Candidate]:
    """Cases of the time window before the case, the newest of each kind of neighbour: `limit` of its place and
    theme (the likeliest to tell the same incident), `limit // 2` of its place whatever the theme and as many naming
    one of its subjects (or, knowing neither place nor subject, `limit` of its theme and service). Each kind
    reads its own index, so the texts compared stay few however many cases a place has."""
    subjects = named_subject_ids([case.id]).get(case.id, set())
    neighbours: list[tuple[ColumnElement[bool], int]] = []
    if case.district_id is not None:
        if case.theme_id is not None:
            neighbours.append((and_(Case.district_id == case.district_id, Case.theme_id == case.theme_id), limit))
        neighbours.append((Case.district_id == case.district_id, limit // 2))
    if subjects:
        neighbours.append((Case.id.in_(select(SubjectLink.case_id).where(SubjectLink.subject_id.in_(subjects),
                                                                         SubjectLink.status != LinkStatus.REJECTED)),
                           limit // 2))
    if not neighbours and case.theme_id is not None:
        neighbours.append((and_(Case.theme_id == case.theme_id, Case.actor_id == case.actor_id), limit))
    anchor = case.created_at
    found: dict[int, Candidate] = {}
    for neighbour, most in neighbours:
        query = (select(Case.id, Case.text, Case.district_id, Case.theme_id, Case.incident_date, Case.created_at)
                 .where(neighbour, Case.id != case.id, Case.created_at >= anchor - window, Case.created_at <= anchor)
                 .order_by(Case.created_at.desc()).limit(most))
        for row in db.session.execute(query):
            found.setdefault(row.id, Candidate(*row))
    return sorted(found.values(), key=lambda c: c.created_at, reverse=True)


def relations_of(case: Case) -> list[CaseRelation]:
    """Every relation of the case, in either direction, that is not dismissed."""
    return list(db.session.scalars(select(CaseRelation).where(
        or_(CaseRelation.case_id == case.id, CaseRelation.related_case_id == case.id),
        CaseRelation.status != RelationStatus.DISMISSED).order_by(CaseRelation.score.desc(), CaseRelation.id)))


def relation_of(case: Case, relation_id: int) -> CaseRelation | None:
    return db.session.scalar(select(CaseRelation).where(
        CaseRelation.id == relation_id,
        or_(CaseRelation.case_id == case.id, CaseRelation.related_case_id == case.id)))



# ---------------------------------------------------------------- pattern alerts

def visible_alerts(user: User) -> list[PatternAlert]:
    """Alerts the user may see, newest first: investigators only those concerning their body."""
    query = select(PatternAlert)
    if user.role is Role.INVESTIGATOR:
        query = query.where(PatternAlert.id.in_(select(alert_bodies.c.alert_id)
                                                .where(alert_bodies.c.body_id == user.body_id)))
    return list(db.session.scalars(query.order_by(PatternAlert.id.desc()).limit(500)))


@dataclass(frozen=True)
class Evidence:
    opened: list[Case]  # cases the user may open
    elsewhere: dict[str, int]  # the others: how many, by body (or "the triage queue")


def alert_evidence(alert: PatternAlert, user: User) -> Evidence:
    case_ids = [e.case_id for e in alert.evidence]
    visible = visible_cases(user).where(Case.id.in_(case_ids)).order_by(Case.id)
    opened = list(db.session.scalars(visible))
    seen = {case.id for case in opened}
    elsewhere: dict[str, int] = {}
    for case_id in case_ids:
        if case_id not in seen:
            other = db.session.get(Case, case_id)
            holder = other.body.name if other is not None and other.body else "the triage queue"
            elsewhere[holder] = elsewhere.get(holder, 0) + 1
    return Evidence(opened, elsewhere)
