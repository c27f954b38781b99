"""Asking for, deciding and using a disclosure grant, for a complainant's identity or for the sealed original of
a file they sent. Every step writes its audit entry, which names the request and never the identity. Flush,
never commit."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, select, update

from civicwatch.accounts.models import User
from civicwatch.audit.operations import record_audit
from civicwatch.cases.identity import contact_of
from civicwatch.cases.models import Attachment, Case, CaseEvent, CaseMessage, Channel, MessageKind
from civicwatch.cases.notifications import notify_complainant, sms_prefix
from civicwatch.cases.operations import lock_case
from civicwatch.cases.originals import has_original, read_original
from civicwatch.cases.permissions import can_open
from civicwatch.cases.workflow import ERASED_CASE
from civicwatch.database import utcnow
from civicwatch.disclosure.models import DisclosureRequest, DisclosureScope, DisclosureStatus
from civicwatch.disclosure.permissions import may_request, require_decision, require_request
from civicwatch.errors import ConflictError, DomainError, NotFoundError, PermissionDeniedError
from civicwatch.extensions import db
from civicwatch.i18n import N_
from civicwatch.messaging.queries import offered_language
from civicwatch.routing.models import RoutingDecision
from civicwatch.text import NOTE, Field, check_reason, check_text

RECIPIENT_FIELD = Field(_l("Write the recipient first."),
                        _l("The recipient is too long: at most %(maximum)s characters."))
LEGAL_BAR_FIELD = Field(_l("Write the legal bar first."),
                        _l("The legal bar is too long: at most %(maximum)s characters."))
REFUSAL_FIELD = Field(_l("Write the reason for refusing first."),
                      _l("The reason for refusing is too long: at most %(maximum)s characters."))

REASON_MIN = 20  # a reason, not "needed"
TEXT_MAX = 2000
RECIPIENT_MAX = 200
# A request's status inside "This request was already ...".
DECIDED = {DisclosureStatus.PENDING: N_("pending"), DisclosureStatus.APPROVED: N_("approved"),
           DisclosureStatus.REFUSED: N_("refused")}
# What the holder's own list of requests says of each (`request_state`).
STATE_LABELS = {
    "pending": N_("Waiting for a custodian"),
    "approved": N_("Approved"),
    "expired": N_("Expired"),
    "refused": N_("Refused"),
    "void": N_("No longer usable: your post, or the case's body, changed since you asked. Ask again if you "
               "still need it."),
}
# What the complainant reads (follow-up page and SMS) before their details leave the body: no reason, no
# recipient, which could themselves say too much to someone else holding their phone.
OUTSIDE_NOTICE = N_("The body handling your complaint has been allowed to share your name and contact details "
                    "with another authority, as the law requires. If this puts you at risk, reply now.")


def request_disclosure(case: Case, user: User, scope: DisclosureScope, reason: str | None,
                       recipient: str | None = None) -> DisclosureRequest:
    """Ask a custodian to let `user` see the complainant's identity, for a reason (and, outside the body,
    naming who would receive it)."""
    require_request(user, case)
    lock_case(case.id)  # read again under the lock: an erasure committed since would not erase this reason
    if case.erased:
        raise DomainError(gettext("This case's personal content was erased under the retention schedule: no identity "
                                  "is kept."))
    if case.identity is None:
        raise DomainError(gettext("This complaint was sent anonymously: there is no identity to disclose."))
    reason = check_reason(reason, REASON_MIN, TEXT_MAX)
    recipient = check_text(recipient, RECIPIENT_FIELD, RECIPIENT_MAX, required=scope is DisclosureScope.OUTSIDE_BODY)
    if _open_request(case, user, utcnow()) is not None:
        raise ConflictError(gettext("You already have a request for this case that is pending or approved."))
    request = DisclosureRequest(case_id=case.id, requester_id=user.id, scope=scope, reason=reason,
                                recipient=recipient or None, created_at=utcnow())
    db.session.add(request)
    db.session.flush()
    record_audit(user, "disclosure.request", request, case=case,
                 after={"scope": scope.value, "reason": reason, "recipient_named": bool(recipient)})
    return request


def request_original(attachment: Attachment, user: User, reason: str | None) -> DisclosureRequest:
    """Ask a custodian to let `user` open the sealed original of a file, for a reason. The original stays
    within the body: the grant only lets its holder download it."""
    case = attachment.case
    require_request(user, case)
    lock_case(case.id)  # read again under the lock: an erasure committed since took the file and its original
    if case.erased:
        raise DomainError(gettext(ERASED_CASE))
    if not has_original(attachment):
        raise DomainError(gettext("The complainant did not ask to keep the original of this file: only the cleaned copy "
                                  "exists."))
    reason = check_reason(reason, REASON_MIN, TEXT_MAX)
    if _open_request(case, user, utcnow(), attachment) is not None:
        raise ConflictError(gettext("You already have a request for this file that is pending or approved."))
    request = DisclosureRequest(case_id=case.id, attachment_id=attachment.id, requester_id=user.id,
                                scope=DisclosureScope.WITHIN_BODY, reason=reason, created_at=utcnow())
    db.session.add(request)
    db.session.flush()
    record_audit(user, "disclosure.request", request, case=case,
                 after={"scope": request.scope.value, "reason": reason, "original_of": attachment.id})
    return request


def approve_disclosure(request: DisclosureRequest, custodian: User, hours: int | None,
                       legal_bar: str | None = None, note: str | None = None) -> None:
    """Grant the request for `hours`. Outside the body, the complainant is told now, through the follow-up
    page and the outbox, unless the custodian records the law that forbids telling them (`legal_bar`)."""
    _require_pending(request, custodian)
    if not _may_hold(request, request.requester, request.case):
        # Approved, it would open nothing, yet outside the body the complainant would be told of a disclosure.
        raise ConflictError(gettext("The person who asked can no longer use a grant (they moved to another post, were "
                                    "deactivated or recused, or the case left their body): refuse the request."))
    limit = int(current_app.config["DISCLOSURE_MAX_HOURS"])
    if hours is None or not 1 <= hours <= limit:
        raise DomainError(gettext("A grant lasts from 1 to %(limit)s hours.", limit=limit))
    legal_bar = check_text(legal_bar, LEGAL_BAR_FIELD, TEXT_MAX, required=False) or None
    now = utcnow()
    request.status = DisclosureStatus.APPROVED
    _decide(request, custodian, now, note)
    request.expires_at = now + dt.timedelta(hours=hours)
    request.legal_bar = legal_bar
    told = request.scope is DisclosureScope.OUTSIDE_BODY and legal_bar is None
    if told:
        _tell_complainant(request.case, custodian, now)
        request.complainant_told_at = now
    db.session.flush()
    record_audit(custodian, "disclosure.approve", request, case=request.case, after={
        "expires_at": request.expires_at, "hours": hours, "scope": request.scope.value,
        "complainant_told": told, "legal_bar": legal_bar, "note": request.decision_note,
        "original_of": request.attachment_id})


def refuse_disclosure(request: DisclosureRequest, custodian: User, note: str | None) -> None:
    _require_pending(request, custodian)
    request.status = DisclosureStatus.REFUSED
    _decide(request, custodian, utcnow(), check_text(note, REFUSAL_FIELD, TEXT_MAX))
    db.session.flush()
    record_audit(custodian, "disclosure.refuse", request, case=request.case, after={"note": request.decision_note})


def revoke_disclosure(request: DisclosureRequest, custodian: User, note: str | None) -> None:
    """End a running grant now, before its hours are over (approved by mistake, or no longer needed). Another
    custodian than its holder, as for deciding it."""
    require_decision(custodian, request)
    _lock(request)
    now = utcnow()
    _require_running(request, now)
    until = request.expires_at
    request.expires_at = now
    db.session.flush()
    record_audit(custodian, "disclosure.revoke", request, case=request.case, before={"expires_at": until},
                 after={"expires_at": now, "note": check_text(note, NOTE, TEXT_MAX, required=False) or None})


def require_revocable(request: DisclosureRequest, custodian: User) -> None:
    """The checks of revoke_disclosure, for its confirmation page: a custodian who may decide it, of a running
    grant."""
    require_decision(custodian, request)
    _require_running(request, utcnow())


def _require_running(request: DisclosureRequest, now: dt.datetime) -> None:
    if not request.active_at(now):
        raise ConflictError(gettext("This grant is not running: there is nothing to end."))


def reveal_identity(case: Case, user: User) -> dict[str, str]:
    """The complainant's contact details for the holder of a running grant; each look is audited."""
    grant = usable_grant(case, user, utcnow())
    if grant is None:
        raise PermissionDeniedError(gettext("Seeing this complainant's identity needs a custodian's approved grant."))
    record_audit(user, "identity.view", grant, case=case, after={"request": grant.id, "expires_at": grant.expires_at})
    return contact_of(case)


def open_original(attachment: Attachment, user: User) -> bytes:
    """The sealed original, checked against its hash, for the holder of a running grant for this file; each
    download is audited."""
    case = attachment.case
    grant = usable_grant(case, user, utcnow(), attachment)
    if grant is None:
        raise PermissionDeniedError(gettext("Opening the original of this file needs a custodian's approved grant."))
    data = read_original(attachment)
    record_audit(user, "attachment.original_view", grant, case=case, after={
        "request": grant.id, "attachment": attachment.id, "hash_checked": True, "expires_at": grant.expires_at})
    return data


def active_grant(case: Case, user: User, now: dt.datetime,
                 attachment: Attachment | None = None) -> DisclosureRequest | None:
    """The user's running grant for the case's identity, or with `attachment`, for that file's original."""
    return db.session.scalar(select(DisclosureRequest).where(
        DisclosureRequest.case_id == case.id, DisclosureRequest.requester_id == user.id, _subject(attachment),
        DisclosureRequest.status == DisclosureStatus.APPROVED, DisclosureRequest.expires_at > now,
    ).order_by(DisclosureRequest.expires_at.desc()).limit(1))


def usable_grant(case: Case, user: User, now: dt.datetime,
                 attachment: Attachment | None = None) -> DisclosureRequest | None:
    """The running grant, if its holder may still use it: in a role that may ask for one (not an auditor's, whatever
    role they asked from), able to open the case (not after a recusal or the case going to another body, even once
    it is back), and in the post they asked from (not after a move to another role or body, even one the case later
    goes to)."""
    grant = active_grant(case, user, now, attachment)
    return grant if grant is not None and _may_hold(grant, user, case) else None


def request_state(request: DisclosureRequest, user: User, case: Case, now: dt.datetime) -> str:
    """A key of STATE_LABELS: the request's state, "void" for a running grant its holder may no longer use."""
    state = request.state_at(now)
    return "void" if state == "approved" and not _may_hold(request, user, case) else state


def _may_hold(request: DisclosureRequest, user: User, case: Case) -> bool:
    """Whether `user` may still hold a grant from this request: active, able to ask, in the post they asked from,
    and the case not gone from their body since."""
    if not (user.active and may_request(user, case)):
        return False
    if user.post_changed_at is not None and request.created_at <= user.post_changed_at:
        return False
    return user.body_id is None or not _left_body_since(case, user.body_id, request.created_at)


def _left_body_since(case: Case, body_id: int, since: dt.datetime) -> bool:
    """Whether the case went from the body to another one since then: for one of the body's staff, a grant asked
    for before that stays void when the case comes back."""
    return db.session.scalar(select(select(RoutingDecision.id).where(
        RoutingDecision.case_id == case.id, RoutingDecision.from_body_id == body_id,
        RoutingDecision.to_body_id.is_distinct_from(body_id), RoutingDecision.created_at >= since).exists())) or False


def _subject(attachment: Attachment | None) -> ColumnElement[bool]:
    if attachment is None:
        return DisclosureRequest.attachment_id.is_(None)
    return DisclosureRequest.attachment_id == attachment.id


def load_request(request_id: int, custodian: User) -> DisclosureRequest:
    """The request, if it is of a case the custodian may open; otherwise 404, whether it exists or not."""
    request = db.session.get(DisclosureRequest, request_id)
    if request is None or not can_open(custodian, request.case_id):
        raise NotFoundError(gettext("There is no such disclosure request."))
    return request


def _open_request(case: Case, user: User, now: dt.datetime,
                  attachment: Attachment | None = None) -> DisclosureRequest | None:
    pending = db.session.scalar(select(DisclosureRequest).where(
        DisclosureRequest.case_id == case.id, DisclosureRequest.requester_id == user.id, _subject(attachment),
        DisclosureRequest.status == DisclosureStatus.PENDING).limit(1))
    # A grant its holder may no longer use (a move, the case gone and back) does not stop them asking again.
    return pending or usable_grant(case, user, now, attachment)


def _lock(request: DisclosureRequest) -> None:
    """Hold the request's row until the transaction ends, and re-read it: two custodians deciding it at the same
    moment (each from a queue that showed it pending) are served one after the other, and the second finds it
    decided. A no-op update rather than FOR UPDATE: it also takes SQLite's write lock, which a read would not."""
    db.session.execute(update(DisclosureRequest).where(DisclosureRequest.id == request.id)
                       .values(status=DisclosureRequest.status).execution_options(synchronize_session=False))
    db.session.scalars(select(DisclosureRequest).where(DisclosureRequest.id == request.id)
                       .execution_options(populate_existing=True)).one()


def _require_pending(request: DisclosureRequest, custodian: User) -> None:
    require_decision(custodian, request)
    _lock(request)
    if request.status is not DisclosureStatus.PENDING:
        raise ConflictError(gettext("This request was already %(status)s.", status=gettext(DECIDED[request.status])))


def _decide(request: DisclosureRequest, custodian: User, now: dt.datetime, note: str | None) -> None:
    request.decided_by_id = custodian.id
    request.decided_at = now
    request.decision_note = check_text(note, NOTE, TEXT_MAX, required=False) or None


def _tell_complainant(case: Case, custodian: User, now: dt.datetime) -> None:
    # The text in the phone's language (LANG); the follow-up page's copy in the language the complaint was written in.
    outbound = notify_complainant(case, lambda: sms_prefix(case) + gettext(OUTSIDE_NOTICE), "disclosure_notice")
    with force_locale(offered_language(case.language)):
        body = gettext(OUTSIDE_NOTICE)
    db.session.add(CaseMessage(case=case, kind=MessageKind.TO_COMPLAINANT, author_id=custodian.id, created_at=now,
                               channel=Channel.SMS if outbound is not None else Channel.WEB, body=body))
    db.session.add(CaseEvent(case=case, kind="identity_disclosure_notice", public=True, created_at=now,
                             user_id=custodian.id, detail={"sms": outbound is not None}))
