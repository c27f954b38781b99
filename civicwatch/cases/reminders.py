"""Reminders before a deadline and escalations after it, as staff notifications in the app (CivicWatch has no
email sender). Run by every `deliver` worker when it starts and then every DEADLINE_SWEEP_MINUTES; each alert
is sent once however many workers look at once: its row's unique key (case, deadline, stage, due time) is
claimed in a savepoint, and a worker that loses the claim sends nothing.

A reminder goes to the assigned investigator and the staff of the case's body (triage staff while it has
none) DEADLINE_REMINDER_HOURS before the deadline; an escalation to the administrators and the assignee once
it has passed. A deadline moved later (an extension, a stopped clock) is a new deadline with its own alerts.

Before the alerts, the sweep runs again every clock stopped for a question the complainant has not answered in
DEADLINE_WAIT_MAX_WORKING_DAYS working days, so that such a case is alerted, queued and counted as overdue."""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm.exc import StaleDataError

from civicwatch.accounts.models import Role, User
from civicwatch.audit.operations import record_audit
from civicwatch.cases.deadlines import (
    RUNNING_STATUSES,
    resume_deadline_clock,
    wait_days_left,
    wait_limit,
    working_days_stopped,
    working_days_waited,
)
from civicwatch.cases.models import Case, CaseEvent, DeadlineAlert, Recusal, StaffNotification
from civicwatch.cases.permissions import visible_cases
from civicwatch.database import utcnow
from civicwatch.extensions import db

log = logging.getLogger(__name__)

REMINDER, ESCALATION = "reminder", "escalation"
BATCH = 200


@dataclass
class ReminderReport:
    reminders: int = 0
    escalations: int = 0
    restarted: int = 0  # clocks run again after a question left unanswered
    lost: int = 0  # alerts another worker sent first


@dataclass(frozen=True)
class DueAlert:
    case_id: int
    deadline: str  # "acknowledge" or "respond"
    due_at: dt.datetime
    stage: str


def remind_before() -> dt.timedelta:
    return dt.timedelta(hours=float(current_app.config.get("DEADLINE_REMINDER_HOURS", 48)))


def _not_sent(deadline: str, due_column: InstrumentedAttribute[dt.datetime | None], stage: str) -> ColumnElement[bool]:
    return ~exists().where(DeadlineAlert.case_id == Case.id, DeadlineAlert.deadline == deadline,
                           DeadlineAlert.due_at == due_column, DeadlineAlert.stage == stage)


def due_alerts(now: dt.datetime, limit: int = BATCH) -> list[DueAlert]:
    """Alerts owed now and not yet sent: for open cases whose clock runs, each unmet deadline within the
    reminder window (a reminder) or passed (an escalation; a reminder the workers missed is not sent late)."""
    found: list[DueAlert] = []
    horizon = now + remind_before()
    for deadline, due, done in (("acknowledge", Case.acknowledge_due_at, Case.acknowledged_at),
                                ("respond", Case.respond_due_at, Case.responded_at)):
        base = and_(Case.status.in_(RUNNING_STATUSES), Case.waiting_since.is_(None), done.is_(None),
                    due.is_not(None))
        rows = db.session.execute(
            select(Case.id, due).where(base, or_(
                and_(due >= now, due <= horizon, _not_sent(deadline, due, REMINDER)),
                and_(due < now, _not_sent(deadline, due, ESCALATION)),
            )).order_by(due).limit(limit))
        found += [DueAlert(case_id, deadline, due_at, REMINDER if due_at >= now else ESCALATION)
                  for case_id, due_at in rows]
    return found[:limit]


def recipients(case: Case, stage: str) -> list[User]:
    """Who hears of it: the assignee, and the body's staff (a reminder) or the administrators (an
    escalation). Active users only, and nobody recused from the case (an alert names it)."""
    if stage == ESCALATION:
        who = User.role == Role.ADMIN
    elif case.body_id is not None:
        who = and_(User.role == Role.INVESTIGATOR, User.body_id == case.body_id)
    else:
        who = User.role == Role.TRIAGE
    if case.assigned_to_id is not None:
        who = or_(who, User.id == case.assigned_to_id)
    recused = select(Recusal.user_id).where(Recusal.case_id == case.id)
    return list(db.session.scalars(select(User).where(User.active.is_(True), who, User.id.not_in(recused))
                                   .order_by(User.id)))


def send_alert(due: DueAlert) -> bool:
    """Claim the alert and notify its recipients; False if another worker claimed it first. Flushes only."""
    case = db.session.get(Case, due.case_id)
    if case is None:
        return False
    alert = DeadlineAlert(case_id=case.id, body_id=case.body_id, deadline=due.deadline, stage=due.stage,
                          due_at=due.due_at, created_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(alert)
            db.session.flush()
    except IntegrityError:
        return False
    people = recipients(case, due.stage)
    db.session.add_all(StaffNotification(user_id=user.id, alert_id=alert.id, created_at=alert.created_at)
                       for user in people)
    db.session.flush()
    record_audit(None, f"case.deadline_{due.stage}", alert, case=case,
                 after={"deadline": due.deadline, "due_at": due.due_at, "notified": len(people)})
    return True


def restart_unanswered_clocks(now: dt.datetime) -> int:
    """Run again every clock that has stood still `wait_limit()` working days for an unanswered question, each in
    its own transaction (committed here): deadlines move by those days only. Another worker's restart of the same
    case (its version moved on) is left to stand."""
    limit = wait_limit()
    if limit is None:
        return 0
    # Calendar days are never fewer than working days: a first cut in SQL, the exact count per case.
    # A stop taken up again after a send-back has counted some of its days already (few cases): always looked at.
    candidates = db.session.scalars(
        select(Case.id).where(Case.status.in_(RUNNING_STATUSES), Case.waiting_since.is_not(None),
                              or_(Case.waiting_since < now - dt.timedelta(days=limit), Case.wait_days_counted > 0))
        .order_by(Case.waiting_since, Case.id).limit(BATCH)).all()
    restarted = 0
    for case_id in candidates:
        case = db.session.get(Case, case_id)
        if case is None or working_days_stopped(case, now) <= (wait_days_left(case) or 0):
            continue
        before = {"waiting_since": case.waiting_since, "acknowledge_due_at": case.acknowledge_due_at,
                  "respond_due_at": case.respond_due_at}
        days = working_days_waited(case, now)
        try:
            resume_deadline_clock(case, now)
            db.session.add(CaseEvent(case=case, kind="clock_resumed", created_at=now,
                                     detail={"unanswered_after_days": days}))
            db.session.flush()
        except StaleDataError:
            db.session.rollback()
            continue
        record_audit(None, "case.clock_resume", case, before=before,
                     after={"waiting_since": None, "acknowledge_due_at": case.acknowledge_due_at,
                            "respond_due_at": case.respond_due_at, "working_days_waited": days})
        db.session.commit()
        restarted += 1
        log.info("deadline clock of case %s running again: no answer in %s working days", case_id, days)
    return restarted


def send_deadline_alerts(now: dt.datetime | None = None) -> ReminderReport:
    """Run again the clocks of questions left unanswered too long, then send every alert owed now, BATCH at a time,
    each in its own transaction (committed here). Database errors are raised: the worker tries again on its next sweep."""
    now = now or utcnow()
    report = ReminderReport(restarted=restart_unanswered_clocks(now))
    while True:
        batch = due_alerts(now, BATCH)
        sent = sum(_send_one(due, report) for due in batch)
        # A short batch was the last; one whose every alert another worker sent leaves the rest to that worker.
        if len(batch) < BATCH or not sent:
            return report


def _send_one(due: DueAlert, report: ReminderReport) -> bool:
    if not send_alert(due):
        db.session.rollback()
        report.lost += 1
        return False
    db.session.commit()
    if due.stage == REMINDER:
        report.reminders += 1
    else:
        report.escalations += 1
    log.info("deadline %s for case %s: %s sent", due.deadline, due.case_id, due.stage)
    return True


def current_notifications(user: User, limit: int = 20) -> list[StaffNotification]:
    """The user's notifications whose deadline is still unmet and unmoved, about cases they may still open,
    newest first; an escalation hides the reminder of the same deadline. They leave the list by themselves
    once the case meets, or moves, its deadline."""
    visible = visible_cases(user).with_only_columns(Case.id).scalar_subquery()
    still_due = or_(
        and_(DeadlineAlert.deadline == "acknowledge", Case.acknowledged_at.is_(None),
             Case.acknowledge_due_at == DeadlineAlert.due_at),
        and_(DeadlineAlert.deadline == "respond", Case.responded_at.is_(None),
             Case.respond_due_at == DeadlineAlert.due_at))
    rows = db.session.scalars(
        select(StaffNotification).join(StaffNotification.alert).join(DeadlineAlert.case)
        .where(StaffNotification.user_id == user.id, Case.id.in_(visible), Case.status.in_(RUNNING_STATUSES),
               still_due)
        .order_by(StaffNotification.id.desc()).limit(limit))
    shown: list[StaffNotification] = []
    escalated: set[tuple[int, str]] = set()
    for notification in sorted(rows, key=lambda n: n.alert.stage != ESCALATION):
        key = (notification.alert.case_id, notification.alert.deadline)
        if notification.alert.stage == REMINDER and key in escalated:
            continue
        escalated |= {key} if notification.alert.stage == ESCALATION else set()
        shown.append(notification)
    return shown
