"""Writes: the schedules, and legal holds placed and lifted. Each writes its audit entry; the caller commits."""
from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from civicwatch.accounts.models import User
from civicwatch.audit.operations import record_audit
from civicwatch.cases.models import Case, CaseStatus
from civicwatch.cases.operations import lock_case
from civicwatch.cases.workflow import ERASED_CASE
from civicwatch.database import utcnow
from civicwatch.errors import ConflictError, DomainError, NotFoundError, PermissionDeniedError
from civicwatch.extensions import db
from civicwatch.i18n import N_
from civicwatch.retention.models import LegalHold, RetentionSchedule
from civicwatch.retention.permissions import may_manage_body
from civicwatch.retention.queries import ERASABLE, active_hold, erasure_of
from civicwatch.taxonomy.models import Body
from civicwatch.text import Field, check_text

HOLD_FIELD = Field(_l("Write the reason for the hold first."),
                   _l("The reason for the hold is too long: at most %(maximum)s characters."))
LIFT_FIELD = Field(_l("Write the reason for lifting the hold first."),
                   _l("The reason for lifting the hold is too long: at most %(maximum)s characters."))

MAX_MONTHS = 1200
MAX_REASON = 2000
NOT_YOURS = N_("Only an admin of the case's body, or of the whole deployment, may do this.")


def parse_status(value: str | None) -> CaseStatus:
    try:
        return CaseStatus((value or "").strip().lower())
    except ValueError:
        names = ", ".join(status.value for status in CaseStatus)
        raise DomainError(gettext("Choose a case status: %(names)s.", names=names)) from None


def parse_months(value: object) -> int:
    try:
        months = int(str(value).strip())
    except (TypeError, ValueError):
        raise DomainError(gettext("Give the number of months as a whole number.")) from None
    if not 1 <= months <= MAX_MONTHS:
        raise DomainError(gettext("Give between 1 and %(max)s months.", max=MAX_MONTHS))
    return months


def find_body(code: str | None) -> Body | None:
    """The body of that code; None for an empty code (deployment-wide)."""
    if not code:
        return None
    body = db.session.scalar(select(Body).where(Body.code == code.strip()))
    if body is None:
        raise NotFoundError(gettext("There is no body with that code."))
    return body


def _check_body(user: User | None, body: Body | None) -> None:
    # None: the command line, run by whoever operates the deployment.
    if user is not None and not may_manage_body(user, body.id if body else None):
        raise PermissionDeniedError(
            gettext("Only an admin of that body, or of the whole deployment, may change its schedules.") if body
            else gettext("Only a deployment-wide admin may change the schedules of every body."))


def _schedule(body: Body | None, status: CaseStatus) -> RetentionSchedule | None:
    body_test = RetentionSchedule.body_id.is_(None) if body is None else RetentionSchedule.body_id == body.id
    return db.session.scalar(select(RetentionSchedule).where(body_test, RetentionSchedule.status == status))


def set_schedule(user: User | None, body: Body | None, status: CaseStatus, months: int) -> RetentionSchedule:
    """Create or change the schedule of `body` (None: every body without its own) for `status`. Flushes."""
    _check_body(user, body)
    if status not in ERASABLE:
        raise DomainError(gettext("Cases still being worked on are never erased: choose responded, closed, "
                                  "rejected, referred or withdrawn."))
    months = parse_months(months)
    schedule = _schedule(body, status)
    before = {"months": schedule.months} if schedule else None
    if schedule is None:
        schedule = RetentionSchedule(body_id=body.id if body else None, status=status, months=months)
        db.session.add(schedule)
    schedule.months = months
    schedule.updated_by_id = user.id if user else None
    db.session.flush()
    record_audit(user, "retention.schedule_set", schedule, before=before,
                 after={"body": body.code if body else None, "status": status.value, "months": months})
    return schedule


def remove_schedule(user: User | None, body: Body | None, status: CaseStatus) -> None:
    _check_body(user, body)
    schedule = _schedule(body, status)
    if schedule is None:
        raise NotFoundError(gettext("There is no such schedule."))
    record_audit(user, "retention.schedule_removed", schedule,
                 before={"body": body.code if body else None, "status": status.value, "months": schedule.months})
    db.session.delete(schedule)
    db.session.flush()


def place_hold(user: User, case: Case, reason: str | None) -> LegalHold:
    """Stop every erasure of the case until the hold is lifted. Flushes."""
    if not may_manage_body(user, case.body_id):
        raise PermissionDeniedError(gettext(NOT_YOURS))
    reason = check_text(reason, HOLD_FIELD, MAX_REASON)
    lock_case(case.id)
    if erasure_of(case) is not None:  # nothing left to hold; the reason would be kept for ever
        raise ConflictError(gettext(ERASED_CASE))
    if active_hold(case) is not None:
        raise ConflictError(gettext("This case is already under a legal hold."))
    hold = LegalHold(case_id=case.id, reason=reason, placed_by_id=user.id, created_at=utcnow())
    db.session.add(hold)
    db.session.flush()
    record_audit(user, "retention.hold_placed", hold, after={"reason": reason}, case=case)
    return hold


def lift_hold(user: User, case: Case, reason: str | None) -> LegalHold:
    """Lift the case's hold: its schedule applies again from the next run. Flushes."""
    if not may_manage_body(user, case.body_id):
        raise PermissionDeniedError(gettext(NOT_YOURS))
    reason = check_text(reason, LIFT_FIELD, MAX_REASON)
    lock_case(case.id)
    hold = active_hold(case)
    if hold is None:
        raise ConflictError(gettext("This case is not under a legal hold."))
    hold.lifted_at, hold.lifted_by_id, hold.lift_reason = utcnow(), user.id, reason
    db.session.flush()
    record_audit(user, "retention.hold_lifted", hold, before={"reason": hold.reason}, after={"reason": reason},
                 case=case)
    return hold
