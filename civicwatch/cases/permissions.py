"""Who may see which case. Every staff query of cases starts from `visible_cases`."""
from __future__ import annotations

from sqlalchemy import Select, exists, select

from civicwatch.accounts.models import Role, User
from civicwatch.cases.models import Case, Recusal


def visible_cases(user: User) -> Select:
    """Cases the user may open: investigators only their body's, and nobody a case they recused from."""
    query = select(Case)
    if user.role is Role.INVESTIGATOR:
        query = query.where(Case.body_id == user.body_id)
    recused = exists().where(Recusal.case_id == Case.id, Recusal.user_id == user.id)
    return query.where(~recused)


def can_change_cases(user: User) -> bool:
    return user.role in (Role.ADMIN, Role.TRIAGE, Role.INVESTIGATOR)
