"""Who may draft, approve and withdraw public answers. Cases are reached through `visible_cases` only.

Administrators and the investigators of the body holding the case publish its answer. The author edits the
draft; a different person approves it (four eyes). Anyone who may publish may withdraw a published answer.
"""
from __future__ import annotations

from sqlalchemy import select

from civicwatch.accounts.models import Role, User
from civicwatch.cases.feedback import ANSWERED
from civicwatch.cases.models import Case
from civicwatch.cases.permissions import load_case, visible_cases
from civicwatch.errors import InvalidTransitionError, NotFoundError, PermissionDeniedError
from civicwatch.extensions import db
from civicwatch.publishing.models import Publication, PublicationStatus

PUBLISHERS = frozenset({Role.ADMIN, Role.INVESTIGATOR})
P = PublicationStatus


def load_publication(user: User, publication_id: int) -> Publication:
    """The publication if the user may open its case; otherwise 404, whether it exists or not."""
    publication = db.session.scalar(
        select(Publication).where(Publication.id == publication_id,
                                  Publication.case_id.in_(visible_cases(user).with_only_columns(Case.id))))
    if publication is None:
        raise NotFoundError("There is no publication with that number, or you do not have access to it.")
    return publication


def load_case_for_publishing(user: User, case_id: int) -> Case:
    return load_case(user, case_id)


def is_publisher(user: User) -> bool:
    return user.role in PUBLISHERS


def may_start(user: User, case: Case) -> bool:
    return is_publisher(user) and case.status in ANSWERED


def may_edit(user: User, publication: Publication) -> bool:
    return publication.status is P.DRAFT and publication.author_id == user.id


def may_approve(user: User, publication: Publication) -> bool:
    return (is_publisher(user) and publication.status is P.AWAITING_APPROVAL
            and publication.author_id != user.id)


def may_send_back(user: User, publication: Publication) -> bool:
    # The approver sends it back with a note; the author may take back their own submission.
    return publication.status is P.AWAITING_APPROVAL and (is_publisher(user) or publication.author_id == user.id)


def may_withdraw(user: User, publication: Publication) -> bool:
    return is_publisher(user) and publication.status is P.PUBLISHED


def require_publisher(user: User) -> None:
    if not is_publisher(user):
        raise PermissionDeniedError(
            f"Your role ({user.role.value}) cannot publish answers: administrators and the body's "
            "investigators can.")


def require_start(user: User, case: Case) -> None:
    require_publisher(user)
    if case.status not in ANSWERED:
        raise InvalidTransitionError(
            f"Only an answered case can have a public answer. This case is {case.status.value}.")


def require_edit(user: User, publication: Publication) -> None:
    require_publisher(user)
    if publication.status is not P.DRAFT:
        raise InvalidTransitionError("This answer is no longer a draft, so it cannot be changed.")
    if publication.author_id != user.id:
        raise PermissionDeniedError("Only the author of a draft changes it; you can approve or send it back "
                                    "once it is submitted.")


def require_approve(user: User, publication: Publication) -> None:
    require_publisher(user)
    if publication.status is not P.AWAITING_APPROVAL:
        raise InvalidTransitionError("Only an answer awaiting approval can be approved.")
    if publication.author_id == user.id:
        raise PermissionDeniedError("Another staff member must approve what you wrote: that is the point of "
                                    "a second pair of eyes.")


def require_send_back(user: User, publication: Publication) -> None:
    if not may_send_back(user, publication):
        if publication.status is not P.AWAITING_APPROVAL:
            raise InvalidTransitionError("Only an answer awaiting approval can be sent back.")
        raise PermissionDeniedError(f"Your role ({user.role.value}) cannot review answers.")


def require_withdraw(user: User, publication: Publication) -> None:
    require_publisher(user)
    if publication.status is not P.PUBLISHED:
        raise InvalidTransitionError("Only a published answer can be withdrawn.")
