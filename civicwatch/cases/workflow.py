"""The case state machine: one transition table (data) and the one function that changes `case.status`."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext
from sqlalchemy import Select, select

from civicwatch.accounts.models import Role, User, role_word
from civicwatch.audit.operations import record_audit
from civicwatch.cases.counts import key_of, move_case
from civicwatch.cases.deadlines import acknowledge_deadline, keep_waiting_from, respond_deadline
from civicwatch.cases.models import STATUS_LABELS, Case, CaseEvent, CaseStatus, Recusal
from civicwatch.database import utcnow
from civicwatch.errors import DomainError, InvalidTransitionError, PermissionDeniedError
from civicwatch.extensions import db
from civicwatch.i18n import N_

S = CaseStatus
CASEWORK = frozenset({Role.ADMIN, Role.TRIAGE, Role.INVESTIGATOR})
ROUTERS = frozenset({Role.ADMIN, Role.TRIAGE})
INVESTIGATORS = frozenset({Role.INVESTIGATOR})
REASON_MAX = 2000
# An erased case is never erased again: what was written on it afterwards would be kept for ever.
ERASED_CASE = N_("The personal content of this case was erased: nothing more can be written on it.")


@dataclass(frozen=True)
class Transition:
    """One allowed move. `by_complainant`: the complainant may make it (no staff user)."""

    action: str
    roles: frozenset[Role]
    needs_reason: bool = False
    by_complainant: bool = False


def _each(sources: tuple[CaseStatus, ...], target: CaseStatus, transition: Transition) -> dict:
    return {(source, target): transition for source in sources}


EARLY = (S.RECEIVED, S.TRIAGED)
IN_HAND = (S.ACKNOWLEDGED, S.INVESTIGATING, S.REOPENED)

TRANSITIONS: dict[tuple[CaseStatus, CaseStatus], Transition] = {
    (S.RECEIVED, S.TRIAGED): Transition("accept", CASEWORK),
    (S.RECEIVED, S.ACKNOWLEDGED): Transition("acknowledge", INVESTIGATORS),
    (S.TRIAGED, S.ACKNOWLEDGED): Transition("acknowledge", INVESTIGATORS),
    (S.ACKNOWLEDGED, S.INVESTIGATING): Transition("investigate", INVESTIGATORS),
    (S.REOPENED, S.INVESTIGATING): Transition("investigate", INVESTIGATORS),
    (S.INVESTIGATING, S.RESPONDED): Transition("respond", INVESTIGATORS),
    (S.RESPONDED, S.CLOSED): Transition("close", INVESTIGATORS),
    (S.RESPONDED, S.REOPENED): Transition("reopen", INVESTIGATORS, needs_reason=True, by_complainant=True),
    (S.CLOSED, S.REOPENED): Transition("reopen", INVESTIGATORS, needs_reason=True, by_complainant=True),
    # A case sent to another body starts again there: it must be acknowledged by the new body.
    **_each(IN_HAND, S.TRIAGED, Transition("reroute", CASEWORK, needs_reason=True)),
    **_each(EARLY, S.REJECTED, Transition("reject", CASEWORK, needs_reason=True)),
    **_each(IN_HAND, S.REJECTED, Transition("reject", INVESTIGATORS, needs_reason=True)),
    **_each(EARLY, S.REFERRED, Transition("refer", CASEWORK, needs_reason=True)),
    **_each(IN_HAND, S.REFERRED, Transition("refer", INVESTIGATORS, needs_reason=True)),
    **_each(EARLY + IN_HAND + (S.RESPONDED,), S.WITHDRAWN,
            Transition("withdraw", CASEWORK, needs_reason=True, by_complainant=True)),
}

# Where a case ends up when it leaves the workflow; the reason is shown to the complainant.
ENDINGS = frozenset({S.REJECTED, S.REFERRED, S.WITHDRAWN})
ACTION_LABELS = {
    "accept": N_("Accept for this body"),
    "acknowledge": N_("Acknowledge"),
    "investigate": N_("Start investigating"),
    "respond": N_("Send the response"),
    "close": N_("Close the case"),
    "reopen": N_("Reopen (appeal)"),
    "reroute": N_("Send back for acknowledgement"),
    "reject": N_("Reject (outside the mandate)"),
    "refer": N_("Refer outside CivicWatch"),
    "withdraw": N_("Mark as withdrawn"),
}

# What the staff member reads once the move is made.
DONE_MESSAGES = {
    "accept": N_("The case is accepted. The body's investigators acknowledge it next."),
    "acknowledge": N_("The complaint is acknowledged."),
    "investigate": N_("The investigation has started."),
    "respond": N_("The answer has been sent to the complainant."),
    "close": N_("The case is closed."),
    "reopen": N_("The case is open again."),
    "reroute": N_("The case is back waiting for acknowledgement."),
    "reject": N_("The case is rejected as outside the mandate."),
    "refer": N_("The case is referred outside CivicWatch."),
    "withdraw": N_("The case is marked as withdrawn."),
}


def transition_for(case: Case, target: CaseStatus) -> Transition | None:
    return TRANSITIONS.get((case.status, target))


def may_transition(user: User | None, case: Case, target: CaseStatus) -> bool:
    transition = transition_for(case, target)
    if transition is None:
        return False
    if user is None:
        return transition.by_complainant
    return user.role in transition.roles and not _unmet_condition(case, target)


def available_transitions(user: User, case: Case) -> list[tuple[CaseStatus, Transition]]:
    """The moves this user can make now, in the order of the table."""
    return [(target, t) for (source, target), t in TRANSITIONS.items()
            if source is case.status and user.role in t.roles and not _unmet_condition(case, target)]


def _unmet_condition(case: Case, target: CaseStatus) -> str | None:
    """Why the case is not ready for `target` yet, in words staff can act on; None when it is."""
    if case.erased and target is not S.CLOSED:  # an answered case whose content went may still be closed
        return gettext(ERASED_CASE)
    if target in (S.TRIAGED, S.ACKNOWLEDGED) and case.body_id is None:
        return gettext("Route the case to an oversight body first.")
    if target is S.RESPONDED and (case.outcome is None or not (case.findings or "").strip()):
        return gettext("Record the outcome and findings before sending the response.")
    return None


def _status_label(status: CaseStatus) -> str:
    return gettext(STATUS_LABELS[status]).lower()


def transition_case(case: Case, target: CaseStatus, user: User | None, reason: str | None = None,
                    public_detail: dict[str, Any] | None = None) -> CaseEvent:
    """Move the case to `target`: check the table, set the status-dependent columns, write the event and
    the audit entry. The only place that writes `case.status`. `user` None means the complainant."""
    source = case.status
    transition = transition_for(case, target)
    if transition is None:
        raise InvalidTransitionError(
            gettext("A case that is %(source)s cannot become %(target)s. Reload the page to see what can be done "
                    "now.", source=_status_label(source), target=_status_label(target)))
    if user is None and not transition.by_complainant:
        raise PermissionDeniedError(gettext("Only staff can make this change."))
    if user is not None and user.role not in transition.roles:
        raise PermissionDeniedError(
            gettext("Your role (%(role)s) cannot %(action)s.", role=role_word(user.role),
                    action=gettext(ACTION_LABELS[transition.action]).lower()))
    unmet = _unmet_condition(case, target)
    if unmet:
        raise InvalidTransitionError(unmet)
    reason = (reason or "").strip()[:REASON_MAX] or None
    if transition.needs_reason and not reason:
        raise DomainError(gettext("Give a reason for this change."))  # a mistake in the form: 400
    if reason and case.erased:
        raise InvalidTransitionError(gettext(ERASED_CASE))
    now = utcnow()
    before = _snapshot(case)
    counted = key_of(case)
    with db.session.no_autoflush:  # columns and status change together, or a check constraint trips
        _apply_effects(case, target, reason, now)
        case.status = target
    detail = dict(public_detail or {})
    if reason and target in ENDINGS | {S.REOPENED}:  # reasons the complainant is meant to read
        detail["reason"] = reason
    event = CaseEvent(case=case, kind="status", from_status=source.value, to_status=target.value,
                      user_id=user.id if user else None, created_at=now, detail=detail or None, public=True)
    db.session.add(event)
    if target is S.REOPENED:
        _release_if_gone(case, user, now)
    move_case(counted, case)
    record_audit(user, f"case.{transition.action}", case, before=before, after={**_snapshot(case), "reason": reason})
    return event


def _release_if_gone(case: Case, user: User | None, now: dt.datetime) -> None:
    """Closed, a case keeps who handled it; reopened, it is work again: back to its body's queue when they have since
    left the body or the service (as their cases in progress went then, `staffing`)."""
    if case.assigned_to is None or may_work(case.assigned_to, case):
        return
    case.assigned_to, case.assigned_to_id = None, None  # the relationship, and the column the audit entry reads
    db.session.add(CaseEvent(case=case, kind="assigned", user_id=user.id if user else None, created_at=now,
                             detail={"assignee": None}))


def assignable_investigators(case: Case) -> list[User]:
    """Who the case may be assigned to: the active investigators of the body holding it who have not recused."""
    return list(db.session.scalars(_assignable(case).order_by(User.name))) if case.body_id is not None else []


def may_work(user: User, case: Case) -> bool:
    """Whether `user` is among `assignable_investigators(case)`."""
    return case.body_id is not None and bool(db.session.scalar(select(_assignable(case).where(User.id == user.id)
                                                                      .exists())))


def _assignable(case: Case) -> Select[tuple[User]]:
    recused = select(Recusal.user_id).where(Recusal.case_id == case.id)
    return select(User).where(User.role == Role.INVESTIGATOR, User.body_id == case.body_id, User.active.is_(True),
                              User.id.not_in(recused))


def _apply_effects(case: Case, target: CaseStatus, reason: str | None, now: dt.datetime) -> None:
    if target is S.ACKNOWLEDGED:
        case.acknowledged_at = now
    elif target is S.RESPONDED:
        case.responded_at = now
    elif target is S.CLOSED:
        case.closed_at = now
    elif target in ENDINGS:
        case.closed_at = now
        case.status_reason = reason
    elif target is S.REOPENED:
        _reopen(case, now)
    elif target is S.TRIAGED and case.status is not S.RECEIVED:
        # Acknowledged afresh (by a new body, or by the right unit of its own), so with the body's time for it from
        # now: the old deadline, long met, would make the case overdue at once. The answer is still owed by its own
        # deadline (a new body's is set when it is routed there).
        # Still waiting for the complainant, from now: the days waited so far go to the answer's deadline, not to
        # the fresh one set here.
        keep_waiting_from(case, now)
        case.acknowledged_at = None
        case.acknowledge_due_at = acknowledge_deadline(case, case.body, now)
    if target in ENDINGS or target in (S.RESPONDED, S.CLOSED):
        case.waiting_since, case.wait_days_counted = None, 0


def _reopen(case: Case, now: dt.datetime) -> None:
    case.closed_at = None
    case.responded_at = None
    case.status_reason = None
    case.respond_due_at = respond_deadline(case, case.body, now)
    # A fresh time to answer again, with its own one extension: the first answer's stays in the events and audit.
    case.deadline_extended_at, case.deadline_extension_reason = None, None


def _snapshot(case: Case) -> dict[str, Any]:
    return {
        "status": case.status.value if case.status else None,
        "status_reason": case.status_reason,
        "acknowledged_at": case.acknowledged_at,
        "responded_at": case.responded_at,
        "closed_at": case.closed_at,
        "acknowledge_due_at": case.acknowledge_due_at,
        "respond_due_at": case.respond_due_at,
        "waiting_since": case.waiting_since,
        "wait_days_counted": case.wait_days_counted,
        "deadline_extended_at": case.deadline_extended_at,
        "assigned_to": case.assigned_to_id,
    }
