"""Sharing a related case with the body that asked: the request, the holding body's decision (approve for a
limited time with a reason, or refuse), revocation, and the restricted view the asking body reads under the
grant. Every step writes its audit entry; reasons are kept there only as fingerprints. Flush, never commit."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from flask_babel import format_date, gettext
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from civicwatch.accounts.models import User
from civicwatch.audit.operations import record_audit
from civicwatch.cases.models import Case, CaseShare, ShareStatus
from civicwatch.cases.operations import lock_case
from civicwatch.cases.permissions import can_open, load_shared_case, shared_cases, visible_cases
from civicwatch.database import utcnow
from civicwatch.errors import ConflictError, DomainError, NotFoundError
from civicwatch.extensions import db
from civicwatch.i18n import N_, current_language
from civicwatch.patterns.models import Allegation, CaseRelation, SubjectKind
from civicwatch.patterns.permissions import require_share_asker, require_share_decider
from civicwatch.taxonomy.models import Named
from civicwatch.text import check_reason

REASON_MIN = 10
REASON_MAX = 2000
# A request's status inside "This request was already ...".
DECIDED = {ShareStatus.PENDING: N_("pending"), ShareStatus.APPROVED: N_("approved"), ShareStatus.REFUSED: N_("refused"),
           ShareStatus.REVOKED: N_("revoked")}


def _other_side(case: Case, relation: CaseRelation) -> Case:
    if case.id not in (relation.case_id, relation.related_case_id):
        raise DomainError(gettext("That suggestion is about other cases."))
    other = relation.related_case if relation.case_id == case.id else relation.case
    return other


def open_share(case_id: int, body_id: int, now: dt.datetime) -> CaseShare | None:
    """The body's pending request, or running grant, for the case."""
    return db.session.scalar(select(CaseShare).where(
        CaseShare.case_id == case_id, CaseShare.body_id == body_id,
        or_(CaseShare.status == ShareStatus.PENDING,
            (CaseShare.status == ShareStatus.APPROVED) & (CaseShare.expires_at > now))).limit(1))


def _last_refusal(case_id: int, body_id: int) -> dt.datetime | None:
    return db.session.scalar(select(func.max(CaseShare.decided_at)).where(
        CaseShare.case_id == case_id, CaseShare.body_id == body_id, CaseShare.status == ShareStatus.REFUSED))


def request_share(case: Case, user: User, relation: CaseRelation) -> CaseShare:
    """Ask the body that holds the other case of `relation` to share it with the user's body."""
    other = _other_side(case, relation)
    require_share_asker(user, case, other)
    assert case.body_id is not None and other.body_id is not None  # checked just now
    now = utcnow()
    if open_share(other.id, case.body_id, now) is not None:
        raise ConflictError(gettext("Sharing was asked for already, or is granted."))
    refused_on = _last_refusal(other.id, case.body_id)
    wait = dt.timedelta(days=int(current_app.config["SHARE_ASK_AGAIN_DAYS"]))
    if refused_on is not None and refused_on + wait > now:
        raise ConflictError(gettext("Sharing this case was refused on %(date)s. You can ask again from %(again)s, "
                                    "with new reasons.", date=format_date(refused_on),
                                    again=format_date(refused_on + wait)))
    share = CaseShare(case_id=other.id, owner_body_id=other.body_id, body_id=case.body_id, from_case_id=case.id,
                      requested_by_id=user.id)
    db.session.add(share)
    case.updated_at = utcnow()  # the related panel of the case changes
    db.session.flush()
    record_audit(user, "case_share.request", share, case=other,
                 after={"case": other.id, "from_case": case.id, "body": case.body_id})
    return share


def _read_again_under_lock(share: CaseShare) -> Case | None:
    """Lock the share's case, then read the case and the share again: a colleague's decision (or the retention
    run's erasure) committed since this request read them is seen, and a second decision waits for the first."""
    case = lock_case(share.case_id)
    db.session.refresh(share)
    return case


def _decide(share: CaseShare, case: Case | None, user: User, status: ShareStatus, reason: str | None) -> str:
    """Record the decision on the share read again under the case's lock (`_read_again_under_lock`, which gave
    `case`); returns the reason, for the audit entry (which keeps it as a fingerprint). Once the retention run
    erased the case, the reason (staff's words about the case, which may name people) is not kept on the share, as
    the erasure removed the earlier ones and no run erases a case twice. The body still decides, and may end a
    grant."""
    checked = check_reason(reason, REASON_MIN, REASON_MAX)
    share.reason = None if case is None or case.erased else checked
    share.status, share.decided_by_id, share.decided_at = status, user.id, utcnow()
    return checked


def approve_share(share: CaseShare, user: User, days: int | None, reason: str | None) -> None:
    """Let the asking body read the restricted view of the case for `days`."""
    case = _read_again_under_lock(share)
    require_share_decider(user, share)
    if share.status is not ShareStatus.PENDING:
        raise ConflictError(gettext("This request was already %(status)s.", status=gettext(DECIDED[share.status])))
    limit = int(current_app.config["SHARE_MAX_DAYS"])
    if days is None or not 1 <= days <= limit:
        raise DomainError(gettext("A case is shared for 1 to %(limit)s days.", limit=limit))
    checked = _decide(share, case, user, ShareStatus.APPROVED, reason)
    share.expires_at = utcnow() + dt.timedelta(days=days)
    db.session.flush()
    record_audit(user, "case_share.approve", share, case=share.case,
                 after={"body": share.body_id, "days": days, "expires_at": share.expires_at, "reason": checked})


def refuse_share(share: CaseShare, user: User, reason: str | None) -> None:
    case = _read_again_under_lock(share)
    require_share_decider(user, share)
    if share.status is not ShareStatus.PENDING:
        raise ConflictError(gettext("This request was already %(status)s.", status=gettext(DECIDED[share.status])))
    checked = _decide(share, case, user, ShareStatus.REFUSED, reason)
    db.session.flush()
    record_audit(user, "case_share.refuse", share, case=share.case, after={"body": share.body_id,
                                                                        "reason": checked})


def revoke_share(share: CaseShare, user: User, reason: str | None) -> None:
    """End a running grant before it expires."""
    case = _read_again_under_lock(share)
    require_revocable(share, user)
    checked = _decide(share, case, user, ShareStatus.REVOKED, reason)
    db.session.flush()
    record_audit(user, "case_share.revoke", share, case=share.case, after={"body": share.body_id,
                                                                        "reason": checked})


def require_revocable(share: CaseShare, user: User) -> None:
    """The checks of revoke_share, also for its confirmation page."""
    require_share_decider(user, share)
    if share.state_at(utcnow()) != "approved":
        raise ConflictError(gettext("Only a running share can be revoked."))


def load_share(user: User, share_id: int) -> CaseShare:
    """A share of a case the user can open (the holding body's side); 404 otherwise."""
    share = db.session.scalar(select(CaseShare).where(
        CaseShare.id == share_id, CaseShare.case_id.in_(visible_cases(user).with_only_columns(Case.id))))
    if share is None:
        raise NotFoundError(gettext("There is no such share request."))
    return share


def incoming_shares(user: User) -> list[CaseShare]:
    """Requests and grants for the cases of the user's body, pending first, then newest."""
    if user.body_id is None:
        return []
    query = (select(CaseShare).options(selectinload(CaseShare.case), selectinload(CaseShare.body))
             .where(CaseShare.owner_body_id == user.body_id,
                    CaseShare.case_id.in_(visible_cases(user).with_only_columns(Case.id)))
             .order_by((CaseShare.status == ShareStatus.PENDING).desc(), CaseShare.id.desc()).limit(200))
    return list(db.session.scalars(query))


def shares_asked(body_id: int | None, case_id: int) -> list[CaseShare]:
    """What the body asked of another body about this case, newest first."""
    if body_id is None:
        return []
    return list(db.session.scalars(select(CaseShare).where(CaseShare.case_id == case_id, CaseShare.body_id == body_id)
                                   .order_by(CaseShare.id.desc())))


# ---------------------------------------------------------------- the restricted view

@dataclass(frozen=True)
class SharedAllegation:
    theme: str | None
    service: str | None
    subject: str | None  # units and posts of the holding body's register only: officers stay in their register
    district: str | None
    incident_date: dt.date | None
    finding: str | None


@dataclass(frozen=True)
class SharedCase:
    """What another body reads of a shared case: never the complainant's words, identity, contact or files."""

    reference: str
    holder: str
    status: str
    theme: str | None
    service: str | None
    district: str | None
    incident_date: dt.date | None
    received: dt.date
    allegations: list[SharedAllegation]
    expires_at: dt.datetime


def _named(entry: Named | None, language: str) -> str | None:
    return entry.display_name(language) if entry is not None else None


def _shared_allegation(allegation: Allegation, holder_id: int | None, language: str) -> SharedAllegation:
    subject = allegation.subject
    # Units and posts of the holding body's register only: an allegation's subject chosen before the case was sent
    # on is of another body's register, which not even the holding body reads now.
    shown = subject is not None and subject.kind is not SubjectKind.OFFICER and subject.body_id == holder_id
    return SharedAllegation(
        theme=_named(allegation.theme, language), service=_named(allegation.actor, language),
        subject=subject.name if shown and subject is not None else None,
        district=_named(allegation.district, language),
        incident_date=None if allegation.incident_date_assumed else allegation.incident_date,
        finding=allegation.finding.value if allegation.finding else None)


def read_shared_case(user: User, case_id: int) -> SharedCase:
    """The restricted view of a case shared with the user's body, named in the page's language; each reading is
    audited."""
    now, language = utcnow(), current_language()
    case = load_shared_case(user, case_id, now)
    share = open_share(case.id, user.body_id or 0, now)
    assert share is not None and share.expires_at is not None  # load_shared_case found the grant
    allegations = db.session.scalars(select(Allegation).where(Allegation.case_id == case.id).order_by(Allegation.id))
    record_audit(user, "case_share.view", share, case=case, after={"share": share.id, "expires_at": share.expires_at})
    return SharedCase(
        reference=case.reference, holder=_named(case.body, language) or "", status=case.status.value,
        theme=_named(case.theme, language), service=_named(case.actor, language),
        district=_named(case.district, language), incident_date=case.incident_date,
        received=case.created_at.date(), allegations=[_shared_allegation(a, case.body_id, language) for a in allegations],
        expires_at=share.expires_at)


def may_read_shared(user: User, case_id: int) -> bool:
    """Whether the related panel links to the restricted view (the view checks again)."""
    if can_open(user, case_id):
        return False
    return db.session.scalar(select(shared_cases(user, utcnow()).where(Case.id == case_id).exists())) or False
