"""The publication state machine: one transition table (data) saying who may make each move, and the one
function that changes `publication.status` and writes its audit entry.

Every move is made by a publisher (an administrator, or an investigator of the body holding the case: which
publications a user can reach at all is `permissions.load_publication`'s business). Relative to one version
of an answer, a publisher is either its author or a reviewer; four eyes means the author never approves.
A published answer stays the body's that published it (`Publication.body_id`): after an appeal moved the case,
the new body's investigators publish their own answer (which supersedes it) but never withdraw the first one.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext

from civicwatch.accounts.models import Role, User
from civicwatch.audit.operations import record_audit
from civicwatch.cases.workflow import ERASED_CASE
from civicwatch.errors import ConflictError, DomainError, InvalidTransitionError, PermissionDeniedError
from civicwatch.extensions import db
from civicwatch.i18n import N_
from civicwatch.publishing.models import Publication, PublicationStatus

P = PublicationStatus
PUBLISHERS = frozenset({Role.ADMIN, Role.INVESTIGATOR})
PUBLISHED_BY_ANOTHER_BODY = N_("Another body published this answer: only its investigators or an administrator can "
                               "withdraw it. Your body can publish its own answer instead.")
NOT_A_PUBLISHER = N_("Your role (%(role)s) cannot publish answers: administrators and the body's investigators "
                     "can.")


class Actor(enum.Enum):
    AUTHOR = "author"  # the publisher who wrote this version
    REVIEWER = "reviewer"  # any other publisher: the second pair of eyes


AUTHOR = frozenset({Actor.AUTHOR})
REVIEWER = frozenset({Actor.REVIEWER})
ANY_PUBLISHER = frozenset(Actor)
# Moves that change what a body published: only that body's investigators (or an administrator) make them.
OF_THE_PUBLISHING_BODY = frozenset({P.WITHDRAWN})
# Moves that write or publish the answer's words, or the reviewer's note on them: refused once the case's personal
# content was erased (the redaction assistant no longer knows what to hide, and nothing written then would ever be
# erased).
WRITES = frozenset({P.AWAITING_APPROVAL, P.PUBLISHED, P.DRAFT})


@dataclass(frozen=True)
class Transition:
    """One allowed move, the actors who may make it, and what a publisher outside them is told."""

    action: str
    actors: frozenset[Actor]
    refused: str = ""


TRANSITIONS: dict[tuple[PublicationStatus, PublicationStatus], Transition] = {
    (P.DRAFT, P.AWAITING_APPROVAL): Transition(
        "submit", AUTHOR, N_("Only the author of a draft changes it; you can approve or send it back once it is "
                             "submitted.")),
    # The reviewer sends it back with a note; the author may take back their own submission.
    (P.AWAITING_APPROVAL, P.DRAFT): Transition("send_back", ANY_PUBLISHER),
    (P.AWAITING_APPROVAL, P.PUBLISHED): Transition(
        "approve", REVIEWER, N_("Another staff member must approve what you wrote: that is the point of a "
                                "second pair of eyes.")),
    # Made by whoever approves the next version: one live answer per case.
    (P.PUBLISHED, P.SUPERSEDED): Transition("supersede", ANY_PUBLISHER),
    (P.PUBLISHED, P.WITHDRAWN): Transition("withdraw", ANY_PUBLISHER),
}

STATUS_WORDS = {
    P.DRAFT: N_("a draft"),
    P.AWAITING_APPROVAL: N_("an answer awaiting approval"),
    P.PUBLISHED: N_("a published answer"),
    P.SUPERSEDED: N_("an answer a newer version replaced"),
    P.WITHDRAWN: N_("a withdrawn answer"),
}
# Why a move to the status is not possible now, one sentence per status (a translation agrees with its subject).
NOT_NOW = {
    P.AWAITING_APPROVAL: N_("Only a draft can be submitted for approval; this is %(status)s. Reload the page to see "
                            "what can be done now."),
    P.DRAFT: N_("Only an answer awaiting approval can be sent back to its author; this is %(status)s. Reload the "
                "page to see what can be done now."),
    P.PUBLISHED: N_("Only an answer awaiting approval can be approved; this is %(status)s. Reload the page to see "
                    "what can be done now."),
    P.SUPERSEDED: N_("Only a published answer can be superseded; this is %(status)s. Reload the page to see what "
                     "can be done now."),
    P.WITHDRAWN: N_("Only a published answer can be withdrawn; this is %(status)s. Reload the page to see what "
                    "can be done now."),
}


def not_a_publisher(user: User) -> str:
    return gettext(NOT_A_PUBLISHER, role=gettext(user.role.label))


def is_publisher(user: User) -> bool:
    return user.role in PUBLISHERS


def actor_of(user: User, publication: Publication) -> Actor | None:
    """Who the user is to this version of the answer; None for someone who does not publish at all."""
    if not is_publisher(user):
        return None
    return Actor.AUTHOR if publication.author_id == user.id else Actor.REVIEWER


def refusal(user: User, publication: Publication, target: PublicationStatus) -> DomainError | None:
    """Why the user may not move the publication to `target` now, in words they can act on; None if they may."""
    actor = actor_of(user, publication)
    if actor is None:
        return PermissionDeniedError(not_a_publisher(user))
    transition = TRANSITIONS.get((publication.status, target))
    if transition is None:
        return InvalidTransitionError(_not_now(publication.status, target))
    if actor not in transition.actors:
        return PermissionDeniedError(gettext(transition.refused))
    if target in OF_THE_PUBLISHING_BODY and not _of_publishing_body(user, publication):
        return PermissionDeniedError(gettext(PUBLISHED_BY_ANOTHER_BODY))
    if target in WRITES and publication.case.erased:
        return ConflictError(gettext(ERASED_CASE))
    return None


def _of_publishing_body(user: User, publication: Publication) -> bool:
    # An investigator belongs to one body; an administrator answers for every body.
    return user.role is not Role.INVESTIGATOR or user.body_id == publication.body_id


def _not_now(source: PublicationStatus, target: PublicationStatus) -> str:
    return gettext(NOT_NOW[target], status=gettext(STATUS_WORDS[source]))


def transition_publication(publication: Publication, target: PublicationStatus, user: User,
                           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> None:
    """Move the publication to `target` after checking the table and the actor, and write the audit entry
    (`before` and `after` add the move's other facts). The only place that writes `publication.status`."""
    error = refusal(user, publication, target)
    if error is not None:
        raise error
    source = publication.status
    action = TRANSITIONS[(source, target)].action
    publication.status = target
    db.session.flush()
    record_audit(user, f"publication.{action}", publication, case=publication.case,
                 before={"status": source.value, **(before or {})}, after={"status": target.value, **(after or {})})
