"""Who may draft, approve and withdraw public answers, read from the transition table in `workflow`. Cases are
reached through `visible_cases`; a version a body published, also by that body's investigators once the case moved
on (`load_publication`).

Administrators and the investigators of the body holding the case publish its answer. The author edits,
submits and discards the draft; a different person approves it (four eyes). Anyone who may publish may send
back a submitted answer or withdraw a published one (only one their own body published, for an investigator), and
discard a version left pending when its case was erased.
"""
from __future__ import annotations

from flask_babel import gettext
from sqlalchemy import ColumnElement, and_, or_, select, true

from civicwatch.accounts.models import Role, User
from civicwatch.cases.feedback import ANSWERED
from civicwatch.cases.models import STATUS_LABELS, Case
from civicwatch.cases.permissions import load_case, recused_case_ids, visible_cases
from civicwatch.cases.workflow import ERASED_CASE
from civicwatch.errors import DomainError, InvalidTransitionError, NotFoundError, PermissionDeniedError
from civicwatch.extensions import db
from civicwatch.publishing.models import Publication, PublicationStatus
from civicwatch.publishing.workflow import is_publisher, not_a_publisher, refusal

P = PublicationStatus
# Editing and discarding a draft belong to whoever may submit it: its author.
EDIT = P.AWAITING_APPROVAL
PENDING = (P.DRAFT, P.AWAITING_APPROVAL)
# Versions whose body is recorded (at approval): the body that published them.
PUBLISHED_ONCE = (P.PUBLISHED, P.SUPERSEDED, P.WITHDRAWN)


def load_publication(user: User, publication_id: int) -> Publication:
    """The publication if the user may open its case, or if their body published it (after an appeal moved the case
    on, its investigators still answer for what their body published: never a case they recused from); otherwise
    404, whether it exists or not."""
    reachable: ColumnElement[bool] = Publication.case_id.in_(visible_cases(user).with_only_columns(Case.id))
    if user.role is Role.INVESTIGATOR:
        recused = recused_case_ids(user)
        published_by_body = and_(Publication.body_id == user.body_id, Publication.status.in_(PUBLISHED_ONCE),
                                 Publication.case_id.not_in(recused) if recused else true())
        reachable = or_(reachable, published_by_body)
    publication = db.session.scalar(select(Publication).where(Publication.id == publication_id, reachable))
    if publication is None:
        raise NotFoundError(gettext("There is no publication with that number, or you do not have access to it."))
    return publication


def load_case_for_publishing(user: User, case_id: int) -> Case:
    return load_case(user, case_id)


def may_start(user: User, case: Case) -> bool:
    return is_publisher(user) and case.status in ANSWERED and not case.erased


def may_edit(user: User, publication: Publication) -> bool:
    return refusal(user, publication, EDIT) is None


def may_discard(user: User, publication: Publication) -> bool:
    return _discard_refusal(user, publication) is None


def may_approve(user: User, publication: Publication) -> bool:
    return refusal(user, publication, P.PUBLISHED) is None


def may_send_back(user: User, publication: Publication) -> bool:
    return refusal(user, publication, P.DRAFT) is None


def may_withdraw(user: User, publication: Publication) -> bool:
    return refusal(user, publication, P.WITHDRAWN) is None


def require_start(user: User, case: Case) -> None:
    if not is_publisher(user):
        raise PermissionDeniedError(not_a_publisher(user))
    if case.status not in ANSWERED:
        raise InvalidTransitionError(
            gettext("Only an answered case can have a public answer. This case is %(status)s.",
                    status=gettext(STATUS_LABELS[case.status]).lower()))
    if case.erased:
        raise InvalidTransitionError(gettext(ERASED_CASE))


def require_edit(user: User, publication: Publication) -> None:
    error = _edit_refusal(user, publication)
    if error is not None:
        raise error


def require_discard(user: User, publication: Publication) -> None:
    error = _discard_refusal(user, publication)
    if error is not None:
        raise error


def _edit_refusal(user: User, publication: Publication) -> DomainError | None:
    error = refusal(user, publication, EDIT)
    if isinstance(error, InvalidTransitionError):
        return InvalidTransitionError(gettext("This answer is no longer a draft, so it cannot be changed."))
    return error


def _discard_refusal(user: User, publication: Publication) -> DomainError | None:
    """A version left pending when its case was erased can never be edited, submitted, sent back or approved:
    any publisher clears it away (its author may be long gone), which writes nothing on the case. Otherwise
    discarding a draft is its author's, like editing it."""
    if publication.case.erased and publication.status in PENDING:
        return None if is_publisher(user) else PermissionDeniedError(not_a_publisher(user))
    return _edit_refusal(user, publication)


def require_approve(user: User, publication: Publication) -> None:
    _require(user, publication, P.PUBLISHED)


def require_send_back(user: User, publication: Publication) -> None:
    _require(user, publication, P.DRAFT)


def require_withdraw(user: User, publication: Publication) -> None:
    _require(user, publication, P.WITHDRAWN)


def _require(user: User, publication: Publication, target: PublicationStatus) -> None:
    error = refusal(user, publication, target)
    if error is not None:
        raise error
