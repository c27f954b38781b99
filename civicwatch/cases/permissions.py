"""Who may see which case and do what to it. Every staff query of cases starts from `visible_cases`.

Seeing: investigators only their body's cases, nobody a case they recused from; a case outside that
is "not found" (404), so its existence is not revealed. Doing: the ACTIONS table (roles and statuses);
status changes follow the transition table in `workflow`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import chain
from typing import Any

from flask_babel import gettext
from sqlalchemy import Select, event, false, select
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction, aliased

from civicwatch.accounts.models import Role, User, role_word
from civicwatch.cases.models import STATUS_LABELS, Case, CaseShare, CaseStatus, Recusal, ShareStatus
from civicwatch.cases.workflow import ERASED_CASE, available_transitions
from civicwatch.errors import InvalidTransitionError, NotFoundError, PermissionDeniedError
from civicwatch.extensions import db
from civicwatch.i18n import N_

S = CaseStatus
ALL_STATUSES = frozenset(CaseStatus)
BEFORE_RESPONSE = frozenset({S.RECEIVED, S.TRIAGED, S.ACKNOWLEDGED, S.INVESTIGATING, S.REOPENED})
INVESTIGATION = frozenset({S.ACKNOWLEDGED, S.INVESTIGATING, S.REOPENED})
_RECUSED_KEY = "civicwatch.recused_case_ids"


@dataclass(frozen=True)
class ActionRule:
    roles: frozenset[Role]
    statuses: frozenset[CaseStatus]
    refusal: str  # why the status does not allow it, for the 409 message


ACTIONS: dict[str, ActionRule] = {
    "route": ActionRule(frozenset({Role.ADMIN, Role.TRIAGE, Role.INVESTIGATOR}), BEFORE_RESPONSE,
                        N_("A case can only be sent to another body before it is answered.")),
    "correct": ActionRule(frozenset({Role.ADMIN, Role.TRIAGE, Role.INVESTIGATOR}), BEFORE_RESPONSE,
                          N_("The theme, actor and place can only be corrected before the case is answered.")),
    "assign": ActionRule(frozenset({Role.ADMIN, Role.INVESTIGATOR}), BEFORE_RESPONSE | {S.RESPONDED},
                         N_("Only a case still being worked on can be assigned.")),
    "recuse": ActionRule(frozenset({Role.ADMIN, Role.TRIAGE, Role.INVESTIGATOR}), ALL_STATUSES, ""),
    "note": ActionRule(frozenset({Role.ADMIN, Role.TRIAGE, Role.INVESTIGATOR}), ALL_STATUSES, ""),
    "message": ActionRule(frozenset({Role.ADMIN, Role.TRIAGE, Role.INVESTIGATOR}), ALL_STATUSES, ""),
    "clock": ActionRule(frozenset({Role.ADMIN, Role.TRIAGE, Role.INVESTIGATOR}), BEFORE_RESPONSE,
                        N_("The deadline clock only runs before the case is answered.")),
    "extend": ActionRule(frozenset({Role.ADMIN, Role.INVESTIGATOR}), BEFORE_RESPONSE,
                         N_("The deadline to answer can only be extended before the case is answered.")),
    "findings": ActionRule(frozenset({Role.INVESTIGATOR}), INVESTIGATION,
                           N_("Findings are recorded while the case is being investigated.")),
    "recommend": ActionRule(frozenset({Role.INVESTIGATOR}), INVESTIGATION,
                            N_("Recommendations are made while the case is being investigated.")),
    "remedy": ActionRule(frozenset({Role.INVESTIGATOR}), INVESTIGATION | {S.RESPONDED, S.CLOSED},
                         N_("Remedies are tracked for investigated cases.")),
    "allegation": ActionRule(frozenset({Role.ADMIN, Role.TRIAGE, Role.INVESTIGATOR}), BEFORE_RESPONSE | {S.RESPONDED},
                             N_("Allegations can only be changed until the case is closed.")),
    "relate": ActionRule(frozenset({Role.ADMIN, Role.TRIAGE, Role.INVESTIGATOR}), ALL_STATUSES, ""),
    "retaliation_seen": ActionRule(frozenset({Role.ADMIN, Role.TRIAGE, Role.INVESTIGATOR}), ALL_STATUSES, ""),
    # Which of these may, on a given case, is `closure_words.may_mark_read`: the body's own staff.
    "closure_words_read": ActionRule(frozenset({Role.ADMIN, Role.TRIAGE, Role.INVESTIGATOR}), ALL_STATUSES, ""),
    "draft_response": ActionRule(frozenset({Role.INVESTIGATOR}), INVESTIGATION | {S.RESPONDED, S.CLOSED},
                                 N_("The public response is drafted once the case is being investigated.")),
}


# What staff may still do on an erased case: nothing that writes text (it would never be erased).
AFTER_ERASURE = frozenset({"remedy", "relate", "retaliation_seen", "closure_words_read"})


def visible_cases(user: User) -> Select:
    """Cases the user may open: investigators only their body's, committee members none, and nobody a case they
    recused from."""
    query = select(Case)
    if user.role is Role.COMMUNITY:  # a committee member enters complaints and never opens one
        return query.where(false())
    if user.role is Role.INVESTIGATOR:
        query = query.where(Case.body_id == user.body_id)
    # A person recuses from a handful of cases at most: a short NOT IN list is much cheaper for a big
    # queue than a correlated NOT EXISTS evaluated on every row.
    recused = recused_case_ids(user)
    return query.where(Case.id.not_in(recused)) if recused else query


def recused_case_ids(user: User) -> tuple[int, ...]:
    """The cases the user recused from, read once per transaction: a page that queries cases several times
    (the dashboard's figures and its alerts) reads them once. A recusal added in this session is flushed first and
    empties the cache (`_forget_recusals_on_flush`), so it counts from the next query on, as before."""
    session = db.session()
    if any(isinstance(row, Recusal) for row in session.new):
        session.flush()
    known: dict[int, tuple[int, ...]] = session.info.setdefault(_RECUSED_KEY, {})
    if user.id not in known:
        known[user.id] = tuple(db.session.scalars(select(Recusal.case_id).where(Recusal.user_id == user.id)))
    return known[user.id]


@event.listens_for(Session, "before_flush")
def _forget_recusals_on_flush(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
    if any(isinstance(row, Recusal) for row in chain(session.new, session.dirty, session.deleted)):
        session.info.pop(_RECUSED_KEY, None)


@event.listens_for(Session, "do_orm_execute")
def _forget_recusals_on_bulk_change(state: ORMExecuteState) -> None:
    mapper = state.bind_mapper
    if (state.is_update or state.is_delete) and mapper is not None and mapper.class_ is Recusal:
        state.session.info.pop(_RECUSED_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_recusals(session: Session, transaction: SessionTransaction) -> None:
    # A savepoint rolled back may have taken a recusal with it; a new transaction sees others' recusals.
    if transaction.parent is None or transaction.nested:
        session.info.pop(_RECUSED_KEY, None)


def load_case(user: User, case_id: int) -> Case:
    """The case if the user may open it; otherwise 404, whether it exists or not."""
    case = db.session.scalar(visible_cases(user).where(Case.id == case_id))
    if case is None:
        raise NotFoundError(gettext("There is no case with that number, or you do not have access to it."))
    return case


def can_open(user: User, case_id: int) -> bool:
    return db.session.scalar(select(visible_cases(user).where(Case.id == case_id).exists())) or False


def shared_cases(user: User, now: dt.datetime) -> Select:
    """Cases another body shares with the user's body: approved, not expired, still held by the body that shared
    them, asked for a case the user's body still holds, and not a case the user recused from, nor shared for one.
    The grant serves the investigation of the asking case: not once that case has gone to another body (sent on,
    or appealed there), nor for someone who stepped away from it. Only a restricted view of them is ever shown
    (never the complainant's identity, contact details or files); opening them in full still goes through
    `visible_cases`."""
    recused = select(Recusal.case_id).where(Recusal.user_id == user.id)
    asking = aliased(Case)
    still_asking = select(asking.id).where(asking.id == CaseShare.from_case_id, asking.body_id == CaseShare.body_id)
    grants = select(CaseShare.case_id).where(
        CaseShare.body_id == user.body_id, CaseShare.status == ShareStatus.APPROVED, CaseShare.expires_at > now,
        CaseShare.case_id == Case.id, CaseShare.owner_body_id == Case.body_id, CaseShare.from_case_id.not_in(recused),
        still_asking.exists())
    return select(Case).where(grants.exists(), Case.id.not_in(recused))


def load_shared_case(user: User, case_id: int, now: dt.datetime) -> Case:
    """The case if another body shares it with the user's body now; otherwise 404, whether it exists or not."""
    case = db.session.scalar(shared_cases(user, now).where(Case.id == case_id))
    if case is None:
        raise NotFoundError(gettext("There is no case with that number shared with your body."))
    return case


def can_change_cases(user: User) -> bool:
    return user.role in (Role.ADMIN, Role.TRIAGE, Role.INVESTIGATOR)


def may(user: User, action: str, case: Case) -> bool:
    rule = ACTIONS[action]
    return user.role in rule.roles and case.status in rule.statuses and (not case.erased or action in AFTER_ERASURE)


def require(user: User, action: str, case: Case) -> None:
    """403 when the role can never do this; 409 when the role could, but not at this status."""
    rule = ACTIONS[action]
    if user.role not in rule.roles:
        raise PermissionDeniedError(gettext("Your role (%(role)s) cannot do this on a case.", role=role_word(user.role)))
    if case.status not in rule.statuses:
        raise InvalidTransitionError(gettext("%(refusal)s This case is %(status)s.", refusal=gettext(rule.refusal),
                                             status=gettext(STATUS_LABELS[case.status]).lower()))
    if case.erased and action not in AFTER_ERASURE:
        raise InvalidTransitionError(gettext(ERASED_CASE))


def allowed_actions(user: User, case: Case) -> set[str]:
    """Every action the page may offer this user now: ACTIONS names plus status targets as 'to:<status>'."""
    allowed = {name for name in ACTIONS if may(user, name, case)}
    allowed |= {f"to:{target.value}" for target, _ in available_transitions(user, case)}
    return allowed
