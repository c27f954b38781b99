"""Who sees and keeps which subject register. A body's register is its own: its investigators see and keep it;
admins keep every register; triage officers and auditors read them all. Officers are staff-only everywhere."""
from __future__ import annotations

from sqlalchemy import Select, select

from civicwatch.accounts.models import Role, User
from civicwatch.errors import PermissionDeniedError
from civicwatch.patterns.models import Subject
from civicwatch.taxonomy.models import Body


def visible_subjects(user: User) -> Select:
    query = select(Subject)
    if user.role is Role.INVESTIGATOR:
        query = query.where(Subject.body_id == user.body_id)
    return query


def may_keep_register(user: User, body: Body) -> bool:
    return user.role is Role.ADMIN or (user.role is Role.INVESTIGATOR and user.body_id == body.id)


def require_register_keeper(user: User, body: Body) -> None:
    if not may_keep_register(user, body):
        raise PermissionDeniedError(f"Only {body.name}'s investigators and admins keep its register.")
