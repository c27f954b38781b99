"""Writing allegations, the subject register and the subjects a case names. Operations flush but never commit;
each change writes its audit entry."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, bindparam, func, insert, select, update

from civicwatch.accounts.models import User
from civicwatch.audit.operations import record_audit
from civicwatch.cases.models import Case, Outcome
from civicwatch.cases.permissions import require
from civicwatch.database import utcnow
from civicwatch.errors import DomainError
from civicwatch.extensions import db
from civicwatch.patterns.matching import AliasIndex, alias_words
from civicwatch.patterns.models import (
    Allegation,
    CaseRelation,
    LinkStatus,
    PendingRelationProposal,
    RelationKind,
    RelationStatus,
    Subject,
    SubjectAlias,
    SubjectLink,
)
from civicwatch.patterns.permissions import require_register_keeper
from civicwatch.patterns.queries import Candidate, relation_neighbourhood
from civicwatch.patterns.register import SubjectRow
from civicwatch.patterns.similarity import text_similarities
from civicwatch.taxonomy.cache import cached
from civicwatch.taxonomy.models import Actor, Body, District, Region, Theme
from civicwatch.taxonomy.queries import require_district_in_region
from civicwatch.text import Field, check_text

VICTIM_FIELD = Field(_l("Write the description of the victim first."),
                     _l("The description of the victim is too long: at most %(maximum)s characters."))
PLACE_FIELD = Field(_l("Write the place first."),
                    _l("The place is too long: at most %(maximum)s characters."))
REMEDY_FIELD = Field(_l("Write the remedy first."),
                     _l("The remedy is too long: at most %(maximum)s characters."))

VICTIM_MAX = 500
LOCATION_MAX = 500
REMEDY_MAX = 20000
ALLEGATIONS_PER_CASE = 50


@dataclass
class AllegationFields:
    """What staff give for one allegation; None leaves a field unknown."""

    theme: Theme | None
    victim: str | None
    actor: Actor | None
    subject: Subject | None
    region: Region | None
    district: District | None
    location_text: str | None
    incident_date: dt.date | None
    finding: Outcome | None
    remedy: str | None


def snapshot(allegation: Allegation) -> dict[str, Any]:
    """What the audit log keeps of an allegation (free text only as a fingerprint)."""
    return {
        "theme": allegation.theme.code if allegation.theme else None,
        "victim": allegation.victim, "actor": allegation.actor.code if allegation.actor else None,
        "subject": allegation.subject_id,
        "region": allegation.region.code if allegation.region else None,
        "district": allegation.district.code if allegation.district else None,
        "location": allegation.location_text, "incident_date": allegation.incident_date,
        "incident_date_assumed": bool(allegation.incident_date_assumed),
        "finding": allegation.finding.value if allegation.finding else None, "remedy": allegation.remedy,
    }


def _apply(allegation: Allegation, fields: AllegationFields) -> None:
    district, region = fields.district, fields.region
    if district is not None and region is None:
        region = district.region
    require_district_in_region(district, region)
    if fields.incident_date is not None and fields.incident_date > utcnow().date() + dt.timedelta(days=1):
        raise DomainError(gettext("The date of the incident cannot be in the future."))
    if fields.subject is not None and fields.subject.body_id != allegation.case.body_id:
        raise DomainError(gettext("Choose a subject from the register of the body that holds the case."))
    allegation.theme, allegation.actor, allegation.subject = fields.theme, fields.actor, fields.subject
    allegation.region, allegation.district = region, district
    allegation.victim = check_text(fields.victim, VICTIM_FIELD, VICTIM_MAX, required=False) or None
    allegation.location_text = check_text(fields.location_text, PLACE_FIELD, LOCATION_MAX, required=False) or None
    allegation.remedy = check_text(fields.remedy, REMEDY_FIELD, REMEDY_MAX, required=False) or None
    allegation.finding = fields.finding
    # A date left empty on the form keeps an assumed one (the form shows it empty): it is still not a date given.
    if fields.incident_date is not None or not allegation.incident_date_assumed:
        allegation.incident_date, allegation.incident_date_assumed = fields.incident_date, False


def _touch(case: Case) -> None:
    # A change to an allegation is a change of the case (and bumps its version).
    case.updated_at = utcnow()


def add_allegation(case: Case, user: User, fields: AllegationFields) -> Allegation:
    """Add an allegation to a case the user may change."""
    require(user, "allegation", case)
    count = db.session.scalar(select(func.count(Allegation.id)).where(Allegation.case_id == case.id)) or 0
    if count >= ALLEGATIONS_PER_CASE:
        raise DomainError(gettext("A case holds at most %(most)s allegations.", most=ALLEGATIONS_PER_CASE))
    allegation = Allegation(case=case)
    _apply(allegation, fields)
    db.session.add(allegation)
    _touch(case)
    db.session.flush()
    record_audit(user, "allegation.add", allegation, case=case, after=snapshot(allegation))
    return allegation


def update_allegation(case: Case, user: User, allegation: Allegation, fields: AllegationFields) -> None:
    """Change an allegation of a case the user may change."""
    require(user, "allegation", case)
    if allegation.case_id != case.id:
        raise DomainError(gettext("That allegation belongs to another case."))
    before = snapshot(allegation)
    _apply(allegation, fields)
    _touch(case)
    db.session.flush()
    record_audit(user, "allegation.update", allegation, case=case, before=before, after=snapshot(allegation))


def first_allegation(case: Case) -> Allegation | None:
    """A new case's allegation, read from what the classifier and the complainant gave; None if it has one."""
    return None if _has_allegation(case) else _add_first_allegation(case)


def _has_allegation(case: Case) -> bool:
    return db.session.scalar(select(Allegation.id).where(Allegation.case_id == case.id).limit(1)) is not None


def _add_first_allegation(case: Case) -> Allegation:
    allegation = _first_allegation_of(case)
    allegation.case = case
    db.session.add(allegation)
    db.session.flush()
    record_audit(None, "allegation.add", allegation, case=case, after=snapshot(allegation))
    return allegation


def _first_allegation_of(case: Case) -> Allegation:
    return Allegation(case_id=case.id, theme=case.theme, actor=case.actor, region=case.region,
                      district=case.district, location_text=case.location_text,
                      incident_date=case.incident_date or (case.created_at or utcnow()).date(),
                      incident_date_assumed=case.incident_date is None)


def _insert_first_allegation(case: Case) -> None:
    """_add_first_allegation by a statement built once: nothing reads the allegation back through the session in
    this transaction, and a flush of its own (the case's routing is written without one) costs several times the
    statement. The audit entry is the same, made from the values inserted."""
    allegation = _first_allegation_of(case)
    allegation.id = db.session.connection().execute(_INSERT_ALLEGATION, {
        "case_id": case.id, "theme_id": _id_of(allegation.theme), "actor_id": _id_of(allegation.actor),
        "region_id": _id_of(allegation.region), "district_id": _id_of(allegation.district),
        "location_text": allegation.location_text, "incident_date": allegation.incident_date,
        "incident_date_assumed": allegation.incident_date_assumed}).scalar_one()
    record_audit(None, "allegation.add", allegation, case=case, after=snapshot(allegation))


def _id_of(row: Theme | Actor | Region | District | None) -> int | None:
    return None if row is None else row.id


_INSERT_ALLEGATION = insert(cast(Table, Allegation.__table__)).values(
    case_id=bindparam("case_id"), theme_id=bindparam("theme_id"), actor_id=bindparam("actor_id"),
    region_id=bindparam("region_id"), district_id=bindparam("district_id"),
    location_text=bindparam("location_text"), incident_date=bindparam("incident_date"),
    incident_date_assumed=bindparam("incident_date_assumed")).returning(cast(Table, Allegation.__table__).c.id)


def follow_new_case(case: Case, fresh: bool = False) -> None:
    """After a new case is routed: its first allegation, from what was read of it, and the subjects it names; the
    cases it may repeat or belong with are queued for the worker (comparing texts is too slow for a request).
    `fresh`: the case was stored in this transaction, so it has no allegation yet (not asked of the database)."""
    if fresh or not _has_allegation(case):  # the case's first time here: it cannot be queued yet
        _queue(case)
        _insert_first_allegation(case)
    propose_subject_links(case)


def queue_relation_proposals(case: Case) -> None:
    """Have a worker propose the case's related cases (patterns.sweep); once per case."""
    if db.session.get(PendingRelationProposal, case.id) is None:
        _queue(case)


def _queue(case: Case) -> None:
    # Nothing reads the row back in this transaction (a worker does, later): one statement built once, not a
    # mapper more in the unit of work of the flush that follows.
    db.session.connection().execute(_INSERT_PENDING, {"case_id": case.id, "created_at": utcnow()})


_INSERT_PENDING = insert(cast(Table, PendingRelationProposal.__table__)).values(
    case_id=bindparam("case_id"), created_at=bindparam("created_at"))


# ---------------------------------------------------------------- the subject register

@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    aliases_added: int = 0

    def summary(self, body_name: str) -> str:
        """What the import did, in the language of the page (English in a command)."""
        return gettext("%(body)s: %(created)s, %(updated)s, %(aliases)s.", body=body_name,
                       created=ngettext("%(num)s subject added", "%(num)s subjects added", self.created),
                       updated=ngettext("%(num)s subject updated", "%(num)s subjects updated", self.updated),
                       aliases=ngettext("%(num)s alias added", "%(num)s aliases added", self.aliases_added))


def _add_aliases(subject: Subject, names: Sequence[str], known: set[str]) -> int:
    added = 0
    for name in names:
        stored = alias_words(name)
        if stored and stored not in known:
            subject.aliases.append(SubjectAlias(alias=name, words=stored))
            known.add(stored)
            added += 1
    return added


def _import_row(body: Body, row: SubjectRow, existing: dict[tuple[str, str], Subject], actors: dict[str, Actor],
                districts: dict[str, District], report: ImportReport) -> None:
    key = (row.kind.value, row.name)
    subject = existing.get(key)
    if subject is None:
        subject = Subject(body=body, kind=row.kind, name=row.name)
        db.session.add(subject)
        existing[key] = subject
        report.created += 1
    else:
        report.updated += 1
    subject.actor = actors.get(row.service or "") or subject.actor
    subject.district = districts.get(row.district or "") or subject.district
    subject.active = True
    known = {alias.words for alias in subject.aliases}
    report.aliases_added += _add_aliases(subject, (row.name, *row.aliases), known)


def import_subjects(body: Body, user: User | None, rows: Sequence[SubjectRow],
                    progress: Callable[[int], None] | None = None) -> ImportReport:
    """Add or update `body`'s subjects (the same kind and name is the same subject; aliases are added, never
    removed). `user` None is the command line. One audit entry for the import, with its counts."""
    if user is not None:
        require_register_keeper(user, body)
    existing = {(s.kind.value, s.name): s for s in db.session.scalars(select(Subject).where(Subject.body_id == body.id))}
    actors = {a.code: a for a in db.session.scalars(select(Actor))}
    districts = {d.code: d for d in db.session.scalars(select(District))}
    report = ImportReport()
    for done, row in enumerate(rows, start=1):
        _import_row(body, row, existing, actors, districts, report)
        if progress is not None:
            progress(done)
    db.session.flush()
    record_audit(user, "subject.import", body, after={"body": body.code, "created": report.created,
                                                      "updated": report.updated, "aliases": report.aliases_added})
    return report


# ---------------------------------------------------------------- subjects a case names

PLACE_AGREES, PLACE_DIFFERS = 0.5, -0.5


# Built once (every new case reads a register): building a statement and its cache key costs more than running it.
_EVERY_REGISTER = select(SubjectAlias.subject_id, SubjectAlias.alias, SubjectAlias.words).join(Subject).where(
    Subject.active.is_(True))
_BODY_REGISTER = _EVERY_REGISTER.where(Subject.body_id == bindparam("body_id"))


def _register_of(case: Case) -> AliasIndex:
    """The register the case is matched against, kept per process until the taxonomy's version changes (every
    change to a subject or an alias changes it, see models.py): no read per case, and the index is built once."""
    body_id = case.body_id
    if body_id is None:
        return cached("subject_register", lambda: AliasIndex(db.session.execute(_EVERY_REGISTER).tuples()))
    return cached(f"subject_register:{body_id}",
                  lambda: AliasIndex(db.session.execute(_BODY_REGISTER, {"body_id": body_id}).tuples()))


def _score(subject: Subject, case: Case) -> float:
    if subject.district_id is None or case.district_id is None:
        return 1.0
    return 1.0 + (PLACE_AGREES if subject.district_id == case.district_id else PLACE_DIFFERS)


def propose_subject_links(case: Case) -> list[SubjectLink]:
    """Subjects of the register (the case's body's, or every body's while the case is in triage) that the
    complaint names by an alias; the place raises or lowers the score. Staff confirm or reject them.

    A routed case is matched against its own body's register only, even when it names a unit or officer of
    another body's register: each register is its body's, and linking the case to it would tell one body about
    the other's register (and the other about a case it cannot open). Related-case proposals still find the
    other body's cases by place and text, shown there only as "a related case exists at <body>"."""
    mentions = _register_of(case).mentions(case.text)
    if not mentions:
        return []
    linked = set(db.session.scalars(select(SubjectLink.subject_id).where(SubjectLink.case_id == case.id)))
    proposed = []
    for mention in mentions:
        if mention.subject_id in linked:
            continue
        linked.add(mention.subject_id)
        subject = db.session.get(Subject, mention.subject_id)
        assert subject is not None  # read from the register just now
        link = SubjectLink(case=case, subject=subject, matched=mention.alias, score=_score(subject, case))
        db.session.add(link)
        proposed.append(link)
    db.session.flush()
    for link in proposed:
        record_audit(None, "subject_link.propose", link, case=case,
                     after={"subject": link.subject_id, "score": link.score})
    return proposed


def _fill_allegation_subject(case: Case, subject: Subject) -> None:
    """A confirmed subject becomes the perpetrator of the case's one allegation that names none."""
    open_ones = list(db.session.scalars(select(Allegation).where(Allegation.case_id == case.id,
                                                                 Allegation.subject_id.is_(None))))
    total = db.session.scalar(select(func.count(Allegation.id)).where(Allegation.case_id == case.id))
    if len(open_ones) == 1 and total == 1:
        open_ones[0].subject = subject


def decide_subject_link(case: Case, user: User, link: SubjectLink, confirm: bool) -> None:
    """Confirm or reject a subject the case is said to name."""
    require(user, "allegation", case)
    if link.case_id != case.id:
        raise DomainError(gettext("That subject link belongs to another case."))
    if confirm and link.subject.body_id != case.body_id:
        # Proposed while the case was in triage, from another body's register: that register is not this body's.
        raise DomainError(gettext("Choose a subject from the register of the body that holds the case."))
    before = {"status": link.status.value}
    link.status = LinkStatus.CONFIRMED if confirm else LinkStatus.REJECTED
    link.decided_by_id, link.decided_at = user.id, utcnow()
    if confirm:
        _fill_allegation_subject(case, link.subject)
    _touch(case)
    db.session.flush()
    record_audit(user, "subject_link.decide", link, case=case, before=before,
                 after={"status": link.status.value, "subject": link.subject_id})


def link_subject(case: Case, user: User, subject: Subject | None) -> SubjectLink:
    """Staff name a subject of the case's body's register themselves: confirmed at once."""
    require(user, "allegation", case)
    if subject is None or subject.body_id != case.body_id:
        raise DomainError(gettext("Choose a subject from the register of the body that holds the case."))
    link = db.session.scalar(select(SubjectLink).where(SubjectLink.case_id == case.id,
                                                       SubjectLink.subject_id == subject.id))
    if link is None:
        link = SubjectLink(case=case, subject=subject)
        db.session.add(link)
    link.status, link.decided_by_id, link.decided_at = LinkStatus.CONFIRMED, user.id, utcnow()
    _fill_allegation_subject(case, subject)
    _touch(case)
    db.session.flush()
    record_audit(user, "subject_link.add", link, case=case, after={"status": "confirmed", "subject": subject.id})
    return link


# ---------------------------------------------------------------- related cases

RELATION_WINDOW = dt.timedelta(days=90)
CANDIDATES_MAX = 100  # of the same place and theme; half as many of the place, and of its subjects
SUGGESTIONS_MAX = 5
RELATED_MIN_SCORE = 0.35
DUPLICATE_MIN_TEXT = 0.7  # with the same place or subject; alone, a near copy
COPY_MIN_TEXT = 0.9


@dataclass(frozen=True)
class Suggestion:
    case_id: int
    kind: RelationKind
    score: float
    reasons: list[str]


def _same_day(a: dt.date | None, b: dt.date | None) -> bool:
    return a is not None and b is not None and abs((a - b).days) <= 1


def _suggestion(case: Case, candidate: Candidate, text: float, subjects: frozenset[int]) -> Suggestion:
    checks = {
        "same_place": case.district_id is not None and candidate.district_id == case.district_id,
        "same_subject": bool(subjects & candidate.subjects),
        "same_theme": case.theme_id is not None and candidate.theme_id == case.theme_id,
        "same_day": _same_day(case.incident_date, candidate.incident_date),
    }
    score = 0.55 * text + 0.15 * checks["same_place"] + 0.15 * checks["same_subject"] \
        + 0.05 * checks["same_theme"] + 0.1 * checks["same_day"]
    duplicate = text >= COPY_MIN_TEXT or (text >= DUPLICATE_MIN_TEXT and (checks["same_place"] or
                                                                         checks["same_subject"]))
    reasons = [f"text {text:.2f}"] + [name for name, holds in checks.items() if holds]
    return Suggestion(candidate.id, RelationKind.DUPLICATE if duplicate else RelationKind.RELATED,
                      round(min(score, 1.0), 4), reasons)


def suggest_related_cases(case: Case, limit: int = SUGGESTIONS_MAX) -> list[Suggestion]:
    """The cases most like this one among its neighbours in place, subject and time, best first."""
    neighbourhood = relation_neighbourhood(case, RELATION_WINDOW, CANDIDATES_MAX)
    candidates = neighbourhood.candidates
    if not candidates:
        return []
    similarities = text_similarities(case.text, [c.text for c in candidates])
    suggestions = [_suggestion(case, c, text, neighbourhood.subjects)
                   for c, text in zip(candidates, similarities, strict=True)]
    kept = [s for s in suggestions if s.score >= RELATED_MIN_SCORE or s.kind is RelationKind.DUPLICATE]
    return sorted(kept, key=lambda s: (-s.score, -s.case_id))[:limit]


# Built once (every new case runs them): building a statement and its cache key costs more than running it.
_KNOWN_RELATIONS = select(CaseRelation.case_id, CaseRelation.related_case_id).where(
    CaseRelation.case_id.in_(bindparam("case_ids", expanding=True)))
_RELATIONS = cast(Table, CaseRelation.__table__)
# Without ORM objects: the audit entries need each row's id only, and nothing reads the rows back in this
# transaction. RETURNING names the pair (unique), since the rows of one statement may come back in any order.
_INSERT_RELATIONS = insert(_RELATIONS).returning(_RELATIONS.c.id, _RELATIONS.c.case_id, _RELATIONS.c.related_case_id)


@dataclass(frozen=True)
class ProposedRelation:
    """A relation just stored by propose_related_cases_of: what its audit entry names."""

    __tablename__: ClassVar[str] = CaseRelation.__tablename__
    id: int
    case_id: int
    related_case_id: int


def known_relations(case_ids: Sequence[int]) -> dict[int, set[int]]:
    """The cases each of `case_ids` was already proposed as related to, in one statement."""
    known: dict[int, set[int]] = {case_id: set() for case_id in case_ids}
    for case_id, related_id in db.session.connection().execute(_KNOWN_RELATIONS, {"case_ids": list(case_ids)}):
        known[case_id].add(related_id)
    return known


def new_suggestions(case: Case, known: set[int]) -> list[Suggestion]:
    """The case's suggestions but those of pairs already stored (reads only)."""
    return [s for s in suggest_related_cases(case) if s.case_id not in known]


def propose_related_cases(case: Case) -> list[CaseRelation]:
    """Store the suggestions for a new case (each pair once); staff link or dismiss them."""
    stored = propose_related_cases_of([(case, new_suggestions(case, known_relations([case.id])[case.id]))])
    if not stored:
        return []
    by_id = {r.id: r for r in db.session.scalars(select(CaseRelation).where(CaseRelation.id.in_([r.id for r in stored])))}
    return [by_id[r.id] for r in stored]  # best first, as suggested


def propose_related_cases_of(suggested: Sequence[tuple[Case, list[Suggestion]]]) -> list[ProposedRelation]:
    """Store the suggestions of several new cases (new_suggestions of each) in one INSERT, each with its audit
    entry, in the order given."""
    rows = [{"case_id": case.id, "related_case_id": s.case_id, "kind": s.kind, "score": s.score, "reasons": s.reasons}
            for case, suggestions in suggested for s in suggestions]
    if not rows:
        return []
    ids = {(case_id, related_id): relation_id for relation_id, case_id, related_id
           in db.session.connection().execute(_INSERT_RELATIONS, rows)}
    proposed = []
    for case, suggestions in suggested:
        for s in suggestions:
            relation = ProposedRelation(ids[case.id, s.case_id], case.id, s.case_id)
            record_audit(None, "case_relation.propose", relation, case=case,
                         after={"related_case": s.case_id, "kind": s.kind.value, "score": s.score})
            proposed.append(relation)
    return proposed


def decide_relation(case: Case, user: User, relation: CaseRelation, link: bool) -> None:
    """Link the two cases, or dismiss the suggestion, from either case's page."""
    require(user, "relate", case)
    if case.id not in (relation.case_id, relation.related_case_id):
        raise DomainError(gettext("That suggestion is about other cases."))
    before = {"status": relation.status_from(case.id).value}
    decision = RelationStatus.LINKED if link else RelationStatus.DISMISSED
    other = relation.related_case if relation.case_id == case.id else relation.case
    # Another body's case keeps its own decision: one body must not take a suggestion off another's case.
    both_cases = other.body_id == case.body_id
    if relation.case_id == case.id or both_cases:
        relation.status = decision
    if relation.related_case_id == case.id or both_cases:
        relation.related_status = decision
    relation.decided_by_id, relation.decided_at = user.id, utcnow()
    _touch(case)
    db.session.flush()
    record_audit(user, "case_relation.decide", relation, case=case, before=before,
                 after={"status": decision.value, "case": relation.case_id,
                        "related_case": relation.related_case_id, "both_cases": both_cases})


def move_district_allegations(district_id: int, region_id: int) -> int:
    """Put the allegations of a district that a taxonomy file moved in its new region; how many moved."""
    moved = db.session.execute(
        update(Allegation).where(Allegation.district_id == district_id,
                                 Allegation.region_id.is_distinct_from(region_id))
        .values(region_id=region_id, updated_at=utcnow()).execution_options(synchronize_session=False))
    return int(moved.rowcount or 0)  # type: ignore[attr-defined]
