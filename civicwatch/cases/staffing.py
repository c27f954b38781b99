"""Moving a staff member to another role or body, or out of work, with the casework they leave behind."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from civicwatch.accounts.models import Role, User
from civicwatch.accounts.operations import change_role, set_user_active
from civicwatch.cases.models import IN_PROGRESS, Case
from civicwatch.cases.operations import release_case
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
    queue (none come back with reactivation). How many were released. Flushes only. Nothing when the account is
    already so: a form sent again must not sign its user out (a new session token) nor add an audit entry."""
    if user.active == active:
        return 0
    set_user_active(user, active, actor)
    return 0 if active else _release(user, actor, keep=lambda case: False)


def assigned_in_progress(user: User) -> int:
    """How many cases in progress are assigned to `user`: those a deactivation would release."""
    return db.session.scalar(select(func.count()).select_from(Case)
                             .where(Case.assigned_to_id == user.id, Case.status.in_(IN_PROGRESS))) or 0


def _release(user: User, actor: User, keep: Callable[[Case], bool]) -> int:
    assigned = db.session.scalars(select(Case).where(Case.assigned_to_id == user.id, Case.status.in_(IN_PROGRESS))
                                  .order_by(Case.id).with_for_update()).all()
    released = [case for case in assigned if not keep(case)]
    for case in released:
        release_case(case, actor)
    return len(released)
