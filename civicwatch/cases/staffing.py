"""Moving a staff member to another role or body, or out of work, with the casework they leave behind."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from civicwatch.accounts.models import Role, User
from civicwatch.accounts.operations import change_role, set_user_active
from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import IN_PROGRESS, Case
from civicwatch.cases.operations import assign_case, release_case
from civicwatch.cases.workflow import may_work
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body


def move_staff(user: User, role: Role, body: Body | None, actor: User) -> int | None:
    """Change the account's role or body, and release to their body's queue the cases in progress it may no
    longer work. None when nothing changed; otherwise how many cases were released. Closed cases keep their
    assignee: it says who handled them. Flushes only."""
    if not change_role(user, role, body, actor):
        return None
    return _release(user, actor, keep=lambda case: role is Role.INVESTIGATOR and case.body_id == user.body_id)


def set_staff_active(user: User, active: bool, actor: User) -> int:
    """Activate or deactivate the account. A deactivated account's cases in progress go back to their body's
    queue (`cases_to_give_back` finds them again after a reactivation). How many were released. Flushes only. Nothing when the account is
    already so: a form sent again must not sign its user out (a new session token) nor add an audit entry."""
    if user.active == active:
        return 0
    set_user_active(user, active, actor)
    return 0 if active else _release(user, actor, keep=lambda case: False)


def assigned_in_progress(user: User) -> int:
    """How many cases in progress are assigned to `user`: those a deactivation would release."""
    return db.session.scalar(select(func.count()).select_from(Case)
                             .where(Case.assigned_to_id == user.id, Case.status.in_(IN_PROGRESS))) or 0


def cases_to_give_back(user: User) -> list[Case]:
    """The cases in progress that the account's last deactivation sent back to the queue and that still wait there,
    unassigned, and that the account may work again (same body, no recusal): those an admin who reactivates it is
    offered to give back. Read from the audit log: the deactivation's entry is followed, in the same transaction and
    so in the chain, by one `case.assign` entry for each case it released."""
    if not user.active:
        return []
    deactivated = db.session.scalar(select(AuditEntry.seq).where(
        AuditEntry.action == "user.deactivate", AuditEntry.object_type == User.__tablename__,
        AuditEntry.object_id == str(user.id)).order_by(AuditEntry.seq.desc()).limit(1))
    if deactivated is None:
        return []
    released = _released_after(deactivated, user)
    if not released:
        return []
    waiting = db.session.scalars(select(Case).where(Case.id.in_(released), Case.assigned_to_id.is_(None),
                                                    Case.status.in_(IN_PROGRESS)).order_by(Case.id)).all()
    return [case for case in waiting if may_work(user, case)]


def give_back_cases(user: User, case_ids: list[int], actor: User) -> int:
    """Assign back to the reactivated `user` those of `case_ids` that `cases_to_give_back` still offers, each
    audited as an assignment by `actor`. A case someone took meanwhile is left to them. How many were given back.
    Flushes only."""
    offered = {case.id for case in cases_to_give_back(user)} & set(case_ids)
    if not offered:
        return 0
    # Read again under the lock: another admin may have assigned one meanwhile.
    cases = db.session.scalars(select(Case).where(Case.id.in_(offered)).order_by(Case.id).with_for_update()
                               .execution_options(populate_existing=True)).all()
    given = 0
    for case in cases:
        if case.assigned_to_id is None and case.status in IN_PROGRESS:
            assign_case(case, actor, user)
            given += 1
    return given


def _released_after(seq: int, user: User) -> list[int]:
    rows = db.session.execute(select(AuditEntry.action, AuditEntry.case_id, AuditEntry.before)
                              .where(AuditEntry.seq > seq).order_by(AuditEntry.seq)
                              .execution_options(yield_per=100))
    released = []
    for action, case_id, before in rows:
        if action != "case.assign" or case_id is None or (before or {}).get("assigned_to") != user.id:
            break
        released.append(case_id)
    rows.close()
    return released


def _release(user: User, actor: User, keep: Callable[[Case], bool]) -> int:
    assigned = db.session.scalars(select(Case).where(Case.assigned_to_id == user.id, Case.status.in_(IN_PROGRESS))
                                  .order_by(Case.id).with_for_update()).all()
    released = [case for case in assigned if not keep(case)]
    for case in released:
        release_case(case, actor)
    return len(released)
