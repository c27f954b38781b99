"""Who may see and change a body's retention: its own admins, and admins of the whole deployment (no body).

A case without a body (still in triage) belongs to the deployment's admins alone."""
from __future__ import annotations

from civicwatch.accounts.models import Role, User


def is_retention_admin(user: User) -> bool:
    return user.is_authenticated and user.active and user.role is Role.ADMIN


def may_manage_body(user: User, body_id: int | None) -> bool:
    """May `user` edit the schedules, run or view the dry run, and place or lift holds for `body_id`'s cases?"""
    if not is_retention_admin(user):
        return False
    return user.body_id is None or user.body_id == body_id


def managed_body_ids(user: User) -> list[int] | None:
    """The bodies whose cases `user` manages: None for all of them (a deployment-wide admin)."""
    if not is_retention_admin(user):
        return []
    return None if user.body_id is None else [user.body_id]
