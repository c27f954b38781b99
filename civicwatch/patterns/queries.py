"""Reading allegations, the register and the subjects a case names. Access to the case is checked by the caller
(cases.permissions.load_case); subjects are filtered by the register rules (patterns.permissions)."""
from __future__ import annotations

from sqlalchemy import select

from civicwatch.accounts.models import User
from civicwatch.cases.models import Case
from civicwatch.extensions import db
from civicwatch.patterns.models import Allegation, Subject, SubjectLink
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
