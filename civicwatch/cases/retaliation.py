"""Retaliation watch: complainants who said they fear retaliation are asked whether anything happened to them
because they reported, while their case is open and after it closed: by SMS through the outbox when they reported
with a phone (and have not texted STOP), otherwise on the follow-up page the next time they open it.

While the case is open (from the body's acknowledgement, when the people complained about may learn of it, until
it closes, its answer awaiting closure included) the first check-in comes RETALIATION_OPEN_FIRST_DAYS after the
acknowledgement, the next ones RETALIATION_OPEN_EVERY_DAYS after the case's last check-in; after closure, at 30
and 90 days. Each round is sent exactly once: the check-in row is unique per (case, round), so a second worker
running the same job at the same moment fails to insert it and sends nothing. None is asked in the deployment's
quiet hours (messaging/quiet_hours.py, the outbox's own rule): those due wait, still owed, until they end. The outbox
would hold the text anyway; the job waits too so that the check-in is not recorded, nor the phone's conversation
set to wait for its answer, hours before the question can reach the phone. Flush, never commit.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from civicwatch.accounts.models import User
from civicwatch.audit.operations import record_audit
from civicwatch.cases.models import Case, CaseStatus, RetaliationCheckIn
from civicwatch.cases.notifications import notify_complainant, sms_prefix
from civicwatch.cases.operations import lock_case
from civicwatch.cases.permissions import require
from civicwatch.crypto import DecryptionError
from civicwatch.database import utcnow
from civicwatch.errors import ConflictError
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage
from civicwatch.messaging.queries import WAITING
from civicwatch.messaging.quiet_hours import in_quiet_hours

log = logging.getLogger(__name__)

ROUNDS = (30, 90)  # days after closure
# A case is open for the check-ins from its acknowledgement until it closes: investigated, reopened, or answered
# and awaiting closure (the people complained about may have read the answer).
WHILE_OPEN = (CaseStatus.ACKNOWLEDGED, CaseStatus.INVESTIGATING, CaseStatus.REOPENED, CaseStatus.RESPONDED)
BATCH = 200
PURPOSE = "retaliation_check_in"  # the outbox rows that ask it
# The phone's conversation then waits for the answer (sms/operations.py).
SMS_QUESTION = _l("Has anything happened to you because you reported? Reply YES or NO, or text us what happened.")


@dataclass(frozen=True)
class OpenSchedule:
    """When check-ins are owed while a case is open: `first` after its acknowledgement, then `every` after the
    case's last check-in."""

    first: dt.timedelta
    every: dt.timedelta


def open_schedule() -> OpenSchedule:
    """The deployment's schedule while a case is open."""
    return OpenSchedule(dt.timedelta(days=int(current_app.config.get("RETALIATION_OPEN_FIRST_DAYS", 14))),
                        dt.timedelta(days=int(current_app.config.get("RETALIATION_OPEN_EVERY_DAYS", 30))))


def due_round(case: Case, now: dt.datetime) -> int | None:
    """The latest round due for a closed case, if any (a worker that was down sends only the latest)."""
    if case.closed_at is None:
        return None
    due = [days for days in ROUNDS if now >= case.closed_at + dt.timedelta(days=days)]
    return due[-1] if due else None


def _owed_after_closure(now: dt.datetime) -> list[ColumnElement[bool]]:
    first = now - dt.timedelta(days=ROUNDS[0])
    asked = [exists().where(RetaliationCheckIn.case_id == Case.id, RetaliationCheckIn.round_days == days)
             for days in ROUNDS]
    last = now - dt.timedelta(days=ROUNDS[-1])
    return [Case.fears_retaliation.is_(True), Case.status == CaseStatus.CLOSED, Case.closed_at <= first,
            ~Case.erased,  # its contact details and texts are gone: nobody could be asked
            or_(and_(Case.closed_at > last, ~asked[0]), and_(Case.closed_at <= last, ~asked[-1]))]


def _owed_while_open(now: dt.datetime, schedule: OpenSchedule) -> list[ColumnElement[bool]]:
    """Open cases owed a check-in: acknowledged long enough ago, and none asked of them (open or closed: a case
    reopened soon after its 30-day round) within the interval."""
    recent = exists().where(RetaliationCheckIn.case_id == Case.id,
                            RetaliationCheckIn.created_at > now - schedule.every)
    return [Case.fears_retaliation.is_(True), Case.status.in_(WHILE_OPEN),
            Case.acknowledged_at <= now - schedule.first,
            ~Case.erased, ~recent]  # an answered case may be erased before it closes


def _candidates(conditions: list[ColumnElement[bool]]) -> Iterator[Case]:
    """Every case meeting the conditions, BATCH at a time in id order: cases left owed (details the key cannot
    decrypt yet) must not fill every batch and keep the cases after them waiting."""
    after = 0
    while True:
        page = list(db.session.scalars(select(Case).where(*conditions, Case.id > after).order_by(Case.id)
                                       .limit(BATCH)))
        yield from page
        if len(page) < BATCH:
            return
        after = page[-1].id


def _next_open_round(case: Case) -> int:
    """Counted from the case's check-ins: two workers asking at once count the same, and the second insert fails."""
    asked = db.session.scalar(select(func.max(RetaliationCheckIn.open_round))
                              .where(RetaliationCheckIn.case_id == case.id))
    return (asked or 0) + 1


def send_due_check_ins(now: dt.datetime, lock_first: Callable[[Case], None] | None = None) -> list[RetaliationCheckIn]:
    """Ask every check-in that is due; returns those this call asked. Each one commits on its own savepoint:
    the one another worker took already is skipped, and so is one whose contact details cannot be decrypted.
    Each case is locked and read again before it is asked: the retention run may have erased it (or someone
    closed or reopened it) since it was read. `lock_first(case)` locks what must be locked before the case (the
    SMS dialogue of its number, in the order of the SMS worker and the erasure). In quiet hours nothing is asked:
    what is owed stays owed (the queries below read it afresh), and the first run after they end asks it."""
    if in_quiet_hours(now):
        return []
    sent = []
    for case, days in _owed(now):
        try:
            with db.session.begin_nested():  # a case that fails leaves nothing behind, and the others go on
                if lock_first is not None:
                    lock_first(case)
                check_in = _ask_if_still_owed(case.id, days, now)
        except DecryptionError as error:  # contact details under another key: asked once they can be read
            log.warning("retaliation check-in for case %s not asked (%s); tried again at the next turn", case.id,
                        type(error).__name__)
            continue
        except _NoLongerOwed:  # whatever `lock_first` wrote is undone with the savepoint
            log.info("retaliation check-in for case %s no longer owed once the case was locked", case.id)
            continue
        if check_in is not None:
            sent.append(check_in)
    return sent


def _owed(now: dt.datetime) -> Iterator[tuple[Case, int | None]]:
    """(case, days after closure; None: while open) for every check-in owed now."""
    for case in _candidates(_owed_after_closure(now)):
        days = due_round(case, now)
        if days is not None:
            yield case, days
    for case in _candidates(_owed_while_open(now, open_schedule())):
        yield case, None


class _NoLongerOwed(Exception):
    pass


def _ask_if_still_owed(case_id: int, days: int | None, now: dt.datetime) -> RetaliationCheckIn | None:
    """The case's check-in, asked if it is still owed once the case is locked and read again."""
    case = lock_case(case_id)
    owed = _owed_while_open(now, open_schedule()) if days is None else _owed_after_closure(now)
    if case is None or not db.session.scalar(select(exists().where(Case.id == case_id, *owed))) or (
            days is not None and due_round(case, now) != days):
        raise _NoLongerOwed()
    return _ask(case, days, _next_open_round(case) if days is None else None)


def _ask(case: Case, days: int | None, open_round: int | None) -> RetaliationCheckIn | None:
    try:
        with db.session.begin_nested():
            check_in = RetaliationCheckIn(case_id=case.id, round_days=days, open_round=open_round)
            db.session.add(check_in)
            db.session.flush()
    except IntegrityError:
        log.info("retaliation check-in for case %s was taken by another worker", case.id)
        return None
    outbound = notify_complainant(case, lambda: sms_prefix(case) + str(SMS_QUESTION), PURPOSE)
    check_in.by_sms = outbound is not None
    db.session.flush()
    when = {"round_days": days} if open_round is None else {"open_round": open_round}
    record_audit(None, "case.retaliation_check_in", check_in, case=case, after={**when, "by_sms": check_in.by_sms})
    return check_in


def open_check_in(case: Case) -> RetaliationCheckIn | None:
    """The case's latest check-in while it is unanswered, shown on its follow-up page. An earlier round left
    unanswered is not asked again once a later one is answered: the answer covers the time since."""
    latest = db.session.scalar(select(RetaliationCheckIn).where(RetaliationCheckIn.case_id == case.id)
                               .order_by(RetaliationCheckIn.created_at.desc(), RetaliationCheckIn.id.desc())
                               .limit(1))
    return latest if latest is not None and latest.answered_at is None else None


def asked_of_open_case(check_in: RetaliationCheckIn) -> bool:
    """Whether the check-in was asked while its case was open and the case is still open: a "yes" marks that case
    urgent, and words that are no answer join it as a message."""
    case = check_in.case
    return check_in.open_round is not None and case.status in WHILE_OPEN and not case.erased


def question_on_its_way(check_in: RetaliationCheckIn) -> bool:
    """Whether the texted question has not reached the phone yet: still in the outbox, waiting for the worker or,
    on WhatsApp, for the citizen to answer the template that stands in for it outside the session window."""
    return bool(db.session.scalar(select(exists().where(
        OutboundMessage.case_id == check_in.case_id, OutboundMessage.purpose == PURPOSE,
        OutboundMessage.status.in_(WAITING), OutboundMessage.provider_sid.is_(None)))))


def unseen_retaliation_report() -> ColumnElement[bool]:
    """Whether the case has a report of retaliation while open that no staff member has marked seen (read through
    the partial index ix_retaliation_check_ins_unseen: the few such reports). Not a check-in asked while open but
    answered after the case closed: its "yes" opened a linked case, which is where staff read it."""
    return exists().where(RetaliationCheckIn.case_id == Case.id, RetaliationCheckIn.retaliation_reported.is_(True),
                          RetaliationCheckIn.open_round.is_not(None), RetaliationCheckIn.seen_at.is_(None),
                          RetaliationCheckIn.reported_case_id.is_(None))


def mark_retaliation_seen(case: Case, user: User) -> int:
    """The staff member has read the case's reports of retaliation while open: they leave the "Retaliation
    reported" queue and the dashboard's count, until the next one. The caller holds the case's lock. Flushes."""
    require(user, "retaliation_seen", case)
    unseen = list(db.session.scalars(select(RetaliationCheckIn).where(
        RetaliationCheckIn.case_id == case.id, RetaliationCheckIn.retaliation_reported.is_(True),
        RetaliationCheckIn.open_round.is_not(None), RetaliationCheckIn.seen_at.is_(None),
        RetaliationCheckIn.reported_case_id.is_(None),
    ).order_by(RetaliationCheckIn.id).with_for_update()))
    if not unseen:
        raise ConflictError(gettext("Every report of retaliation on this case was already marked seen."))
    now = utcnow()
    for check_in in unseen:
        check_in.seen_at, check_in.seen_by_id = now, user.id
    db.session.flush()
    record_audit(user, "case.retaliation_seen", case, after={"reports": len(unseen)})
    return len(unseen)


@dataclass(frozen=True)
class RetaliationReport:
    answered_at: dt.datetime
    seen_at: dt.datetime | None
    seen_by: str | None


def retaliation_reported_while_open(case: Case) -> list[RetaliationReport]:
    """When the complainant answered a check-in asked while the case was open saying that something happened to
    them, oldest first: the case page tells the staff who may open it (never the public pages or exports)."""
    rows = db.session.execute(select(RetaliationCheckIn.answered_at, RetaliationCheckIn.seen_at, User.name)
                              .outerjoin(User, User.id == RetaliationCheckIn.seen_by_id).where(
        RetaliationCheckIn.case_id == case.id, RetaliationCheckIn.open_round.is_not(None),
        RetaliationCheckIn.retaliation_reported.is_(True), RetaliationCheckIn.answered_at.is_not(None),
        RetaliationCheckIn.reported_case_id.is_(None),
    ).order_by(RetaliationCheckIn.answered_at))
    return [RetaliationReport(answered_at, seen_at, name) for answered_at, seen_at, name in rows]
