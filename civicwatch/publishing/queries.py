"""Reads. Public reads select named, public-safe columns only (never a whole case: its text, contact data
and internal notes stay out of reach); staff reads start from `visible_cases`."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, TextClause, and_, exists, func, or_, select, text

from civicwatch.accounts.models import User
from civicwatch.cases.feedback import ANSWERED
from civicwatch.cases.models import Case, Outcome
from civicwatch.cases.permissions import visible_cases
from civicwatch.extensions import db
from civicwatch.publishing.models import PUBLIC_STATUSES, PUBLICATION_DOCUMENT, Publication, PublicationStatus
from civicwatch.taxonomy.models import Body, Region, Theme

P = PublicationStatus
PAGE_SIZE = 20
MAX_TERMS = 12
REFERENCE = re.compile(r"^CW-\d{4}-\d{3,}$", re.IGNORECASE)
_WORDS = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class PublicAnswer:
    """One published (or withdrawn) answer, as anyone may read it."""

    publication_id: int
    reference: str
    version: int
    status: str  # 'published' or 'withdrawn'
    published_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    withdraw_reason: str | None
    summary: str | None  # None once withdrawn
    response: str | None
    theme_code: str | None
    theme_name: str | None
    body_code: str | None
    body_name: str | None
    outcome: str | None
    region_name: str | None
    received_on: dt.date
    answered_on: dt.date | None
    case_open: bool
    closed_on: dt.date | None = None
    # The theme's, body's and region's names in other languages (the pages show them; files keep the names).
    theme_names: Mapping[str, str] = field(default_factory=dict)
    body_names: Mapping[str, str] = field(default_factory=dict)
    region_names: Mapping[str, str] = field(default_factory=dict)

    @property
    def withdrawn(self) -> bool:
        return self.status == P.WITHDRAWN.value

    @property
    def updated_at(self) -> dt.datetime | None:
        return self.withdrawn_at or self.published_at


@dataclass(frozen=True)
class AnswerSearch:
    q: str | None = None
    body_code: str | None = None
    theme_code: str | None = None
    outcome: str | None = None
    year: int | None = None
    references: tuple[str, ...] = ()
    received_from: dt.datetime | None = None
    received_to: dt.datetime | None = None
    case_open: bool | None = None
    include_withdrawn: bool = True


def _public_columns() -> tuple:
    return (
        Publication.id, Case.reference, Publication.version, Publication.status, Publication.published_at,
        Publication.withdrawn_at, Publication.withdraw_reason, Publication.summary, Publication.response,
        Theme.code, Theme.name, Body.code, Body.name, Publication.outcome, Region.name, Case.created_at,
        Publication.answered_at, Case.closed_at, Theme.names, Body.names, Region.names,
    )


def _answers_select(search: AnswerSearch, dialect: str) -> Select:
    statuses = PUBLIC_STATUSES if search.include_withdrawn else (P.PUBLISHED,)
    statement = (
        select(*_public_columns())
        .select_from(Publication).join(Case, Case.id == Publication.case_id)
        .outerjoin(Theme, Theme.id == Publication.theme_id).outerjoin(Body, Body.id == Publication.body_id)
        .outerjoin(Region, Region.id == Case.region_id)
        .where(Publication.status.in_(statuses))
    )
    for condition in _search_conditions(search, dialect):
        statement = statement.where(condition)
    return statement


def _search_conditions(search: AnswerSearch, dialect: str) -> Iterator[ColumnElement[bool] | TextClause]:
    if search.body_code:
        yield Body.code == search.body_code
    if search.theme_code:
        yield Theme.code == search.theme_code
    if search.outcome:
        yield Publication.outcome == Outcome(search.outcome)
    if search.year:
        start = dt.datetime(search.year, 1, 1, tzinfo=dt.UTC)
        yield and_(Publication.published_at >= start, Publication.published_at < start.replace(year=search.year + 1))
    if search.references:
        yield Case.reference.in_(search.references)
    if search.received_from is not None:
        yield Case.created_at >= search.received_from
    if search.received_to is not None:
        yield Case.created_at <= search.received_to
    if search.case_open is not None:
        yield Case.closed_at.is_(None) if search.case_open else Case.closed_at.is_not(None)
    if search.q:
        condition = _text_condition(search.q, dialect)
        if condition is not None:
            yield condition
        if not REFERENCE.match(search.q.strip()):
            # A withdrawn answer is listed (by its reference, with the reason) but its words are no longer
            # public: searching them would test guesses against a text withdrawn for naming someone.
            yield Publication.status == P.PUBLISHED


def _text_condition(query: str, dialect: str) -> ColumnElement[bool] | TextClause | None:
    query = query.strip()
    if REFERENCE.match(query):
        return Case.reference == query.upper()
    terms = _WORDS.findall(query)[:MAX_TERMS]
    if not terms:
        return None
    if dialect == "postgresql":
        document = PUBLICATION_DOCUMENT.replace("summary", "publications.summary").replace(
            "response", "publications.response")
        return text(f"{document} @@ plainto_tsquery('english', :answer_terms)").bindparams(
            answer_terms=" ".join(terms))
    return and_(*(or_(Publication.summary.ilike(f"%{_escape(term)}%", escape="\\"),
                      Publication.response.ilike(f"%{_escape(term)}%", escape="\\")) for term in terms))


def _escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _answer(row: Row[Any]) -> PublicAnswer:
    status = row[3].value if isinstance(row[3], PublicationStatus) else str(row[3])
    withdrawn = status == P.WITHDRAWN.value
    outcome = row[13].value if isinstance(row[13], Outcome) else row[13]
    return PublicAnswer(
        publication_id=row[0], reference=row[1], version=row[2], status=status, published_at=row[4],
        withdrawn_at=row[5], withdraw_reason=row[6], summary=None if withdrawn else row[7],
        response=None if withdrawn else row[8], theme_code=row[9], theme_name=row[10], body_code=row[11],
        body_name=row[12], outcome=outcome, region_name=row[14], received_on=row[15].date(),
        answered_on=row[16].date() if row[16] else None, case_open=row[17] is None,
        closed_on=row[17].date() if row[17] else None, theme_names=row[18] or {}, body_names=row[19] or {},
        region_names=row[20] or {},
    )


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def search_answers(search: AnswerSearch, page: int = 1, page_size: int = PAGE_SIZE) -> tuple[list[PublicAnswer], bool]:
    """One page of answers, newest first, and whether there is a next page (no total: no count query)."""
    page = max(page, 1)
    statement = (_answers_select(search, _dialect())
                 .order_by(Publication.published_at.desc(), Publication.id.desc())
                 .offset((page - 1) * page_size).limit(page_size + 1))
    rows = [_answer(row) for row in db.session.execute(statement)]
    return rows[:page_size], len(rows) > page_size


def stream_answers(search: AnswerSearch, batch: int = 1000) -> Iterator[PublicAnswer]:
    """Every matching answer, oldest first, read from the database in batches (constant memory)."""
    statement = (_answers_select(search, _dialect())
                 .order_by(Publication.published_at, Publication.id)
                 .execution_options(yield_per=batch))
    for row in db.session.execute(statement):
        yield _answer(row)


def latest_answers(limit: int = 50) -> list[PublicAnswer]:
    """For the Atom feed: the most recently published or withdrawn answers."""
    changed = func.coalesce(Publication.withdrawn_at, Publication.published_at)
    statement = _answers_select(AnswerSearch(), _dialect()).order_by(changed.desc(), Publication.id.desc()).limit(limit)
    return [_answer(row) for row in db.session.execute(statement)]


@dataclass(frozen=True)
class ReplacedAnswer:
    """A superseded answer of one body, replaced by another body's after an appeal moved the case: not corrected."""

    version: int
    published_at: dt.datetime | None
    body_name: str | None
    body_names: Mapping[str, str]


@dataclass(frozen=True)
class CaseHistory:
    """The public record of one case's answer: the current one, withdrawn ones, superseded dates (versions its
    own body corrected), and the answers another body's replaced."""

    reference: str
    current: PublicAnswer | None
    withdrawn: list[PublicAnswer]
    superseded: list[tuple[int, dt.datetime | None]]  # (version, published_at)
    replaced: list[ReplacedAnswer] = field(default_factory=list)


def answer_history(reference: str) -> CaseHistory | None:
    answers = [_answer(row) for row in db.session.execute(
        _answers_select(AnswerSearch(references=(reference,)), _dialect()).order_by(Publication.version.desc()))]
    published_once = list(db.session.execute(
        select(Publication.version, Publication.published_at, Publication.status, Publication.body_id, Body.name,
               Body.names)
        .join(Case, Case.id == Publication.case_id).outerjoin(Body, Body.id == Publication.body_id)
        .where(Case.reference == reference, Publication.status.in_((*PUBLIC_STATUSES, P.SUPERSEDED)))
        .order_by(Publication.version.desc())).tuples())
    superseded: list[tuple[int, dt.datetime | None]] = []
    replaced: list[ReplacedAnswer] = []
    later_body: int | None = None  # the body of the next version published after this one
    for version, published_at, status, body_id, body_name, body_names in published_once:
        if status is P.SUPERSEDED and later_body is not None and later_body != body_id:
            replaced.append(ReplacedAnswer(version, published_at, body_name, body_names or {}))
        elif status is P.SUPERSEDED:
            superseded.append((version, published_at))
        later_body = body_id
    if not answers and not superseded and not replaced:
        return None
    current = next((a for a in answers if not a.withdrawn), None)
    return CaseHistory(reference, current, [a for a in answers if a.withdrawn], superseded, replaced)


# ---------------------------------------------------------------- staff

def _visible_publications(user: User) -> Select:
    return select(Publication).where(Publication.case_id.in_(visible_cases(user).with_only_columns(Case.id)))


def _pending(user: User, erased: bool = False) -> Select:
    """Versions not yet published, of cases kept whole (or, with `erased`, of cases the retention schedule erased,
    whose versions can only be discarded)."""
    kept = visible_cases(user).where(Case.erased if erased else ~Case.erased)
    return select(Publication).where(Publication.case_id.in_(kept.with_only_columns(Case.id)),
                                     Publication.status.in_((P.DRAFT, P.AWAITING_APPROVAL)))


def awaiting_approval(user: User) -> list[Publication]:
    """Answers waiting for a second pair of eyes: ones this user did not write first."""
    statement = (_pending(user).where(Publication.status == P.AWAITING_APPROVAL)
                 .order_by((Publication.author_id == user.id), Publication.submitted_at))
    return list(db.session.scalars(statement))


def drafts_of(user: User) -> list[Publication]:
    return list(db.session.scalars(_pending(user).where(
        Publication.status == P.DRAFT, Publication.author_id == user.id).order_by(Publication.created_at)))


def other_drafts(user: User) -> list[Publication]:
    return list(db.session.scalars(_pending(user).where(
        Publication.status == P.DRAFT, Publication.author_id != user.id).order_by(Publication.created_at)))


def left_by_erasure(user: User) -> list[Publication]:
    """Versions still pending when their case was erased: to be discarded."""
    return list(db.session.scalars(_pending(user, erased=True).order_by(Publication.created_at)))


def recently_published(user: User, limit: int = 20) -> list[Publication]:
    return list(db.session.scalars(_visible_publications(user).where(Publication.status == P.PUBLISHED)
                                   .order_by(Publication.published_at.desc()).limit(limit)))


def answered_without_publication(user: User, limit: int = 50) -> list[Case]:
    """Answered cases with no public answer yet, oldest answer first; not an erased case, which never gets one."""
    has_publication = exists().where(Publication.case_id == Case.id)
    statement = (visible_cases(user).where(Case.status.in_(ANSWERED), ~has_publication, ~Case.erased)
                 .order_by(Case.responded_at.asc().nulls_last(), Case.id).limit(limit))
    return list(db.session.scalars(statement))


def case_publications(case: Case) -> list[Publication]:
    return list(db.session.scalars(select(Publication).where(Publication.case_id == case.id)
                                   .order_by(Publication.version.desc())))


def live_publication(case: Case) -> Publication | None:
    return db.session.scalar(select(Publication).where(Publication.case_id == case.id,
                                                       Publication.status == P.PUBLISHED))


def answers_changed() -> tuple[int, int, int]:
    """What changes whenever an answer is published, withdrawn, replaced or erased (any change to a publication's
    row bumps its row_version; an erased or discarded one leaves the count): a download built before it changed is
    not served after (open_data_cache)."""
    row = db.session.execute(select(func.count(), func.coalesce(func.max(Publication.id), 0),
                                    func.coalesce(func.sum(Publication.row_version), 0))).one()
    return int(row[0]), int(row[1]), int(row[2])
