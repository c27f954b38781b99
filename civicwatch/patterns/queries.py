"""Reading allegations, the register and the subjects a case names. Access to the case is checked by the caller
(cases.permissions.load_case); subjects are filtered by the register rules (patterns.permissions)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from flask_babel import gettext
from sqlalchemy import Integer, Select, and_, bindparam, or_, select, union_all

from civicwatch.accounts.models import Role, User
from civicwatch.cases.models import Case, CaseEvent
from civicwatch.cases.permissions import recused_case_ids, visible_cases
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


def named_subjects(allegations: list[Allegation], user: User) -> set[int]:
    """The subjects of `allegations` that are of registers the user may see: a case sent on to another body keeps
    its allegations' subjects from the first body's register, which the new body does not read."""
    ids = {allegation.subject_id for allegation in allegations if allegation.subject_id is not None}
    if not ids:
        return set()
    return set(db.session.scalars(visible_subjects(user).with_only_columns(Subject.id).where(Subject.id.in_(ids))))


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
    subjects: frozenset[int] = frozenset()  # the subjects it names (proposed or confirmed)


@dataclass(frozen=True)
class Neighbourhood:
    subjects: frozenset[int]  # the subjects the case names (proposed or confirmed)
    candidates: list[Candidate]  # newest first


def _newest(query: Select[tuple[int]], most: str) -> Select[tuple[int]]:
    """The ids of the newest `most` cases of the query in the window before the case (bound parameters)."""
    chosen = (query.where(Case.id != bindparam("case_id"), Case.created_at >= bindparam("since"),
                          Case.created_at <= bindparam("until"))
              .order_by(Case.created_at.desc()).limit(bindparam(most, type_=Integer)).subquery())
    return select(chosen.c.id)


@lru_cache(maxsize=4)
def _neighbourhood_statement(place: bool, theme: bool) -> Select[Any]:
    """The statement for a case of known place or not, theme or not: built once per process, only its
    parameters change from case to case."""
    its_subjects = select(SubjectLink.subject_id).where(SubjectLink.case_id == bindparam("case_id"),
                                                        SubjectLink.status != LinkStatus.REJECTED)
    kinds = [select(bindparam("case_id", type_=Integer).label("id"))]
    if place:
        if theme:
            kinds.append(_newest(select(Case.id).where(Case.district_id == bindparam("district_id"),
                                                       Case.theme_id == bindparam("theme_id")), "most"))
        kinds.append(_newest(select(Case.id).where(Case.district_id == bindparam("district_id")), "half"))
    # Read from the links of its subjects (a handful each), never by filtering the window's cases (a case
    # naming two of them takes two of the places).
    kinds.append(_newest(select(Case.id).join(SubjectLink, SubjectLink.case_id == Case.id).where(
        SubjectLink.subject_id.in_(its_subjects), SubjectLink.status != LinkStatus.REJECTED), "half"))
    if not place and theme:  # knowing neither place nor subject
        kinds.append(_newest(select(Case.id).where(Case.theme_id == bindparam("theme_id"),
                                                   Case.actor_id == bindparam("actor_id"),
                                                   ~its_subjects.exists()), "most"))
    ids = union_all(*kinds).subquery()
    return (select(Case.id, Case.text, Case.district_id, Case.theme_id, Case.incident_date, Case.created_at,
                   SubjectLink.subject_id)
            .outerjoin(SubjectLink, and_(SubjectLink.case_id == Case.id, SubjectLink.status != LinkStatus.REJECTED))
            .where(Case.id.in_(select(ids.c.id))))


def relation_neighbourhood(case: Case, window: dt.timedelta, limit: int) -> Neighbourhood:
    """Cases of the time window before the case, the newest of each kind of neighbour: `limit` of its place and
    theme (the likeliest to tell the same incident), `limit // 2` of its place whatever the theme and as many naming
    one of its subjects (or, knowing neither place nor subject, `limit` of its theme and service); with the
    subjects each of them and the case name. One statement: each kind reads its own index, so the texts compared
    stay few however many cases a place has, and only the columns the comparison needs are read."""
    statement = _neighbourhood_statement(case.district_id is not None, case.theme_id is not None)
    rows = db.session.execute(statement, {
        "case_id": case.id, "since": case.created_at - window, "until": case.created_at, "most": limit,
        "half": limit // 2, "district_id": case.district_id, "theme_id": case.theme_id, "actor_id": case.actor_id})
    found: dict[int, Candidate] = {}
    named: dict[int, set[int]] = {}
    for case_id, text, district_id, theme_id, incident_date, created_at, subject_id in rows:
        if subject_id is not None:
            named.setdefault(case_id, set()).add(subject_id)
        if case_id != case.id and case_id not in found:
            found[case_id] = Candidate(case_id, text, district_id, theme_id, incident_date, created_at)
    candidates = [replace(c, subjects=frozenset(named.get(c.id, ()))) if c.id in named else c
                  for c in found.values()]
    return Neighbourhood(frozenset(named.get(case.id, ())),
                         sorted(candidates, key=lambda c: (c.created_at, c.id), reverse=True))


def _relations(case: Case, user: User) -> Select[tuple[CaseRelation]]:
    """The relations of the case, in either direction, but those with a case the user recused from: the
    conflict that keeps them out of that case keeps them from learning or deciding what it is related to."""
    query = select(CaseRelation).where(or_(CaseRelation.case_id == case.id, CaseRelation.related_case_id == case.id))
    recused = recused_case_ids(user)
    if recused:
        query = query.where(CaseRelation.case_id.not_in(recused), CaseRelation.related_case_id.not_in(recused))
    return query


def relations_of(case: Case, user: User) -> list[CaseRelation]:
    """Every relation of the case the user may see that is not dismissed."""
    kept = or_(and_(CaseRelation.case_id == case.id, CaseRelation.status != RelationStatus.DISMISSED),
               and_(CaseRelation.related_case_id == case.id, CaseRelation.related_status != RelationStatus.DISMISSED))
    return list(db.session.scalars(_relations(case, user).where(kept)
                                   .order_by(CaseRelation.score.desc(), CaseRelation.id)))


def relation_of(case: Case, user: User, relation_id: int) -> CaseRelation | None:
    return db.session.scalar(_relations(case, user).where(CaseRelation.id == relation_id))



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
    recused: int = 0  # the cases the user recused from, counted apart (not even where they are)


def alert_evidence(alert: PatternAlert, user: User) -> Evidence:
    evidence = _register_cases([e.case_id for e in alert.evidence], alert, user)
    recused = set(recused_case_ids(user))
    case_ids = [case_id for case_id in evidence if case_id not in recused]
    visible = visible_cases(user).where(Case.id.in_(case_ids)).order_by(Case.id)
    opened = list(db.session.scalars(visible))
    seen = {case.id for case in opened}
    elsewhere: dict[str, int] = {}
    for case_id in case_ids:
        if case_id not in seen:
            other = db.session.get(Case, case_id)
            holder = (other.body.local_name if other is not None and other.body
                      else gettext("the triage queue"))
            elsewhere[holder] = elsewhere.get(holder, 0) + 1
    return Evidence(opened, elsewhere, len(evidence) - len(case_ids))


def _register_cases(case_ids: list[int], alert: PatternAlert, user: User) -> list[int]:
    """An investigator reads a subject alert's evidence as detection counts it: the cases the body of the subject's
    register still holds. One sent on to another body since the alert was raised is that body's no more, and
    listing it "at" its new body would tell the first where it went."""
    if alert.subject is None or user.role is not Role.INVESTIGATOR:
        return case_ids
    held = set(db.session.scalars(select(Case.id).where(Case.id.in_(case_ids),
                                                        Case.body_id == alert.subject.body_id)))
    return [case_id for case_id in case_ids if case_id in held]


def moved_since(case_id: int, since: dt.datetime) -> bool:
    """Whether the case has been sent to a body (by staff, the rules or the complainant's appeal) after `since`."""
    moved = select(CaseEvent.id).where(CaseEvent.case_id == case_id, CaseEvent.kind == "routed",
                                       CaseEvent.created_at > since)
    return bool(db.session.scalar(select(moved.exists())))
