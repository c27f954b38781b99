"""Reading disclosure requests: a case's, a user's, the custodians' queue."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from civicwatch.accounts.models import User
from civicwatch.cases.models import Attachment, Case
from civicwatch.cases.permissions import visible_cases
from civicwatch.disclosure.models import DisclosureRequest, DisclosureStatus
from civicwatch.extensions import db

RECENT_DECISIONS = 50


def requests_of(case: Case, user: User, attachment: Attachment | None = None) -> list[DisclosureRequest]:
    """The user's own requests for this case's identity (or, with `attachment`, that file's original), newest
    first."""
    subject = (DisclosureRequest.attachment_id.is_(None) if attachment is None
               else DisclosureRequest.attachment_id == attachment.id)
    return list(db.session.scalars(select(DisclosureRequest).where(
        DisclosureRequest.case_id == case.id, DisclosureRequest.requester_id == user.id, subject,
    ).order_by(DisclosureRequest.id.desc())))


def custodian_queue(custodian: User) -> tuple[list[DisclosureRequest], list[DisclosureRequest]]:
    """Pending requests, oldest first, and the latest decisions, of the cases the custodian may open (not another
    body's, nor one they recused from)."""
    loading = (selectinload(DisclosureRequest.case), selectinload(DisclosureRequest.requester),
               selectinload(DisclosureRequest.decided_by), selectinload(DisclosureRequest.attachment))
    theirs = DisclosureRequest.case_id.in_(visible_cases(custodian).with_only_columns(Case.id))
    pending = db.session.scalars(select(DisclosureRequest).options(*loading).where(
        theirs, DisclosureRequest.status == DisclosureStatus.PENDING).order_by(DisclosureRequest.id))
    decided = db.session.scalars(select(DisclosureRequest).options(*loading).where(
        theirs, DisclosureRequest.status != DisclosureStatus.PENDING).order_by(DisclosureRequest.decided_at.desc())
        .limit(RECENT_DECISIONS))
    return list(pending), list(decided)
