"""Who sees and keeps which subject register. A body's register is its own: its investigators see and keep it;
admins keep every register; triage officers and auditors read them all. Officers are staff-only everywhere."""
from __future__ import annotations

from flask_babel import gettext
from sqlalchemy import Select, select

from civicwatch.accounts.models import Role, User
from civicwatch.cases.models import Case, CaseShare
from civicwatch.cases.permissions import can_open
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
        raise PermissionDeniedError(gettext("Only %(body)s's investigators and admins keep its register.",
                                            body=body.local_name))


# ---------------------------------------------------------------- sharing a related case with another body
# Asking: an investigator, from a case of their body, for a related case of another body they cannot open.
# Deciding (approve, refuse, revoke): the investigators of the body that holds the case, who can open it, never
# the one who asked. Reading under the grant: cases.permissions.shared_cases.

def may_ask_to_share(user: User, case: Case, other: Case) -> bool:
    return (user.role is Role.INVESTIGATOR and case.body_id is not None and user.body_id == case.body_id
            and other.body_id is not None and other.body_id != case.body_id)


def require_share_asker(user: User, case: Case, other: Case) -> None:
    if not may_ask_to_share(user, case, other):
        raise PermissionDeniedError(gettext("Only the investigators of a body can ask another body to share a case."))


def may_decide_share(user: User, share: CaseShare) -> bool:
    return (user.role is Role.INVESTIGATOR and user.body_id == share.owner_body_id
            and user.id != share.requested_by_id and share.case.body_id == share.owner_body_id
            and can_open(user, share.case_id))


def require_share_decider(user: User, share: CaseShare) -> None:
    if not may_decide_share(user, share):
        raise PermissionDeniedError(gettext("Only the investigators of the body that holds the case decide what it shares."))
