"""Who may ask to see a complainant's identity, and who decides.

Asking: staff who work on cases (not auditors) and can open this one. Deciding: identity custodians who can open
the case (not another body's, nor one they recused from), never on their own request (four eyes). Seeing: the
one who asked, while their approved grant runs and while they may still ask (a case sent to another body takes the
grant with it, and so does a move to the auditor's role).
"""
from __future__ import annotations

from flask_babel import gettext

from civicwatch.accounts.models import Role, User
from civicwatch.cases.models import Case
from civicwatch.cases.permissions import can_open
from civicwatch.disclosure.models import DisclosureRequest
from civicwatch.errors import PermissionDeniedError

ASKING_ROLES = frozenset({Role.ADMIN, Role.TRIAGE, Role.INVESTIGATOR})


def may_request(user: User, case: Case) -> bool:
    return user.role in ASKING_ROLES and can_open(user, case.id)


def require_request(user: User, case: Case) -> None:
    if not may_request(user, case):
        raise PermissionDeniedError(gettext("Your role cannot ask to see a complainant's identity."))


def is_custodian(user: User) -> bool:
    return bool(user.is_authenticated and user.active and user.identity_custodian)


def require_decision(user: User, request: DisclosureRequest) -> None:
    if not is_custodian(user):
        raise PermissionDeniedError(gettext("Only an identity custodian can decide disclosure requests."))
    if request.requester_id == user.id:
        raise PermissionDeniedError(gettext("Another custodian must decide your own request (four eyes)."))
    if not can_open(user, request.case_id):
        raise PermissionDeniedError(gettext("Only a custodian who may open the case can decide its requests."))
