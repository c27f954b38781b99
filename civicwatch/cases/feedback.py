"""The complainant's say on the answer: a rating from 1 to 5, or an appeal that reopens the case. Called from
the follow-up page and the SMS dialogue; each operation writes its audit entry and flushes, the caller commits."""
from __future__ import annotations

import datetime as dt

from flask_babel import gettext
from sqlalchemy import select

from civicwatch.audit.operations import record_audit
from civicwatch.cases.counts import key_of, move_case
from civicwatch.cases.deadlines import respond_deadline
from civicwatch.cases.models import Case, CaseEvent, CaseStatus
from civicwatch.cases.operations import lock_case
from civicwatch.cases.workflow import REASON_MAX, transition_case
from civicwatch.database import utcnow
from civicwatch.errors import DomainError, InvalidTransitionError
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body

# A case is answered once it is responded or closed: only then is there an answer to rate, appeal or publish.
ANSWERED = frozenset({CaseStatus.RESPONDED, CaseStatus.CLOSED})
# An appeal with the same words within this time of the complainant's last one is that form sent again (two tabs,
# a double tap, a lost answer): thanked, not refused.
APPEAL_RESENT_WINDOW = dt.timedelta(minutes=30)


def answer_available(case: Case) -> bool:
    """Whether the complainant has an answer to rate or appeal: the case is answered (and not erased)."""
    return case.status in ANSWERED and not case.erased


def rate_answer(case: Case, rating: int | str) -> CaseEvent:
    """The complainant rates the answer from 1 (very unhappy) to 5 (very happy); a new rating replaces
    the old one."""
    try:
        score = int(str(rating).strip())
    except (TypeError, ValueError):
        raise DomainError(gettext("Choose a rating from 1 to 5.")) from None
    if not 1 <= score <= 5:
        raise DomainError(gettext("Choose a rating from 1 to 5."))
    lock_case(case.id)  # read again under the lock: a staff save since the page was read is not undone (nor refused)
    if not answer_available(case):
        raise InvalidTransitionError(gettext("There is no answer to rate yet: you can rate it once the body has answered."))
    before = case.satisfaction
    if before == score and (last := _last_rating(case)) is not None:  # the same rating sent again: nothing changes
        return last
    case.satisfaction = score
    event = CaseEvent(case=case, kind="answer_rated", public=True, created_at=utcnow(), detail={"rating": score})
    db.session.add(event)
    db.session.flush()
    record_audit(None, "case.rate", case, before={"satisfaction": before}, after={"satisfaction": score})
    return event


def appeal_answer(case: Case, reason: str | None, body: Body | None = None) -> CaseEvent:
    """The complainant appeals: the case is reopened (with their reason on the timeline) and, if they
    chose another oversight body, it moves there with a fresh deadline."""
    reason = " ".join((reason or "").split())[:REASON_MAX]
    if not reason:
        raise DomainError(gettext("Tell us why you disagree with the answer."))
    if body is not None and not body.active:
        raise DomainError(gettext("Choose an oversight body from the list."))
    lock_case(case.id)  # read again under the lock: a staff save or the same appeal since the page was read
    if (sent_before := _same_appeal_sent_before(case, reason)) is not None:
        return sent_before
    if not answer_available(case):
        raise InvalidTransitionError(gettext("There is no answer to appeal yet: you can appeal once the body has "
                                             "answered."))
    event = transition_case(case, CaseStatus.REOPENED, None, reason=reason)
    if body is not None and body.id != case.body_id:
        _move_on_appeal(case, body)
    return event


def _move_on_appeal(case: Case, body: Body) -> None:
    previous = case.body_id
    now = utcnow()
    counted = key_of(case)
    case.body, case.assigned_to_id = body, None
    move_case(counted, case)
    case.respond_due_at = respond_deadline(case, body, now)
    db.session.add(CaseEvent(case=case, kind="routed", public=True, created_at=now,
                             detail={"body": body.name, "appeal": True}))
    db.session.flush()
    record_audit(None, "case.appeal_route", case, before={"body_id": previous},
                 after={"body_id": body.id, "respond_due_at": case.respond_due_at})


def _last_rating(case: Case) -> CaseEvent | None:
    return db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "answer_rated")
                              .order_by(CaseEvent.created_at.desc(), CaseEvent.id.desc()).limit(1)).first()


def _same_appeal_sent_before(case: Case, reason: str) -> CaseEvent | None:
    """The complainant's appeal that reopened the case, if the case is still reopened by it, with these words and
    recent: this appeal sent again."""
    if case.status is not CaseStatus.REOPENED:
        return None
    last = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "status")
                              .order_by(CaseEvent.created_at.desc(), CaseEvent.id.desc()).limit(1)).first()
    if last is None or last.to_status != CaseStatus.REOPENED.value or last.user_id is not None \
            or (last.detail or {}).get("reason") != reason or utcnow() - last.created_at > APPEAL_RESENT_WINDOW:
        return None
    return last
