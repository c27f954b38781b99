"""Deadlines per body and urgency, in the deployment's working days (taxonomy/workdays.py) and within the law's
limits; the one extension of the answer's deadline; the clock that stops while the body waits for the
complainant; and how a case stands against them."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app, has_app_context
from flask_babel import gettext, ngettext

from civicwatch.cases.models import Case, CaseStatus
from civicwatch.database import utcnow
from civicwatch.taxonomy.models import Body
from civicwatch.taxonomy.workdays import WorkingCalendar, working_calendar

# Working days, used while a case has no body (the triage queue); a new body's defaults are its columns'.
DEFAULT_ACKNOWLEDGE_DAYS = 5
DEFAULT_ACKNOWLEDGE_DAYS_URGENT = 1
DEFAULT_RESPOND_DAYS = 60
DEFAULT_RESPOND_DAYS_URGENT = 20
# The law's limits (the whistleblower rules: acknowledge within 7 days, feedback within 3 months), in calendar
# time from receipt, whatever the working-day windows and holidays say. config.py may change or lift them.
STATUTORY_ACKNOWLEDGE_DAYS = 7
STATUTORY_RESPOND_MONTHS = 3
# The most working days the clock stands still for one question: a complainant who never answers must not keep a
# case out of the overdue queue, the escalations and the statistics for good. config.py may change or lift it.
WAIT_MAX_WORKING_DAYS = 20

# Statuses whose deadlines still run (a responded case waits for closure or appeal, not for the body).
RUNNING_STATUSES = frozenset({
    CaseStatus.RECEIVED, CaseStatus.TRIAGED, CaseStatus.ACKNOWLEDGED, CaseStatus.INVESTIGATING,
    CaseStatus.REOPENED,
})


def acknowledge_days(case: Case, body: Body | None) -> int:
    """The working days to acknowledge a case, by the body's rules (defaults in the triage queue)."""
    if body is None:
        return DEFAULT_ACKNOWLEDGE_DAYS_URGENT if case.urgent else DEFAULT_ACKNOWLEDGE_DAYS
    return body.acknowledge_days_urgent if case.urgent else body.acknowledge_days


def respond_days(case: Case, body: Body | None) -> int:
    """The working days to answer a case, by the body's rules (defaults in the triage queue)."""
    if body is None:
        return DEFAULT_RESPOND_DAYS_URGENT if case.urgent else DEFAULT_RESPOND_DAYS
    return body.respond_days_urgent if case.urgent else body.respond_days


def _statutory(name: str, default: int) -> int | None:
    value = current_app.config.get(name, default) if has_app_context() else default
    return int(value) if value else None


def acknowledge_deadline(case: Case, body: Body | None, start: dt.datetime,
                         calendar: WorkingCalendar | None = None) -> dt.datetime:
    """When a case received at `start` must be acknowledged: its working days, capped by the law's days."""
    calendar = calendar or working_calendar(start)
    due = calendar.add_working_days(start, acknowledge_days(case, body))
    limit = _statutory("STATUTORY_ACKNOWLEDGE_DAYS", STATUTORY_ACKNOWLEDGE_DAYS)
    return min(due, calendar.add_days(start, limit)) if limit else due


def respond_deadline(case: Case, body: Body | None, start: dt.datetime,
                     calendar: WorkingCalendar | None = None) -> dt.datetime:
    """When a case received (or reopened) at `start` must be answered: its working days, capped by the law's
    months."""
    calendar = calendar or working_calendar(start)
    due = calendar.add_working_days(start, respond_days(case, body))
    limit = _statutory("STATUTORY_RESPOND_MONTHS", STATUTORY_RESPOND_MONTHS)
    return min(due, calendar.add_months(start, limit)) if limit else due


def respond_past_the_law(case: Case) -> dt.datetime | None:
    """The law's last moment to answer (STATUTORY_RESPOND_MONTHS from receipt) when the case's unmet deadline to
    answer is later than it (a stopped clock, an extension, a fresh start at another body); None otherwise, when
    the limit is lifted, and for a case reopened on appeal (the law's count was of its first answer)."""
    limit = _statutory("STATUTORY_RESPOND_MONTHS", STATUTORY_RESPOND_MONTHS)
    due = case.respond_due_at
    if not limit or case.created_at is None or due is None or case.responded_at is not None:
        return None
    by_law = working_calendar(case.created_at).add_months(case.created_at, limit)
    return by_law if due > by_law and case.status in RUNNING_STATUSES and not reopened_on_appeal(case) else None


def set_deadlines(case: Case, body: Body | None, start: dt.datetime,
                  calendar: WorkingCalendar | None = None) -> None:
    """Acknowledge and respond deadlines from `start`, by the body's rules (defaults in the triage queue)."""
    calendar = calendar or working_calendar(start)
    case.acknowledge_due_at = acknowledge_deadline(case, body, start, calendar)
    case.respond_due_at = respond_deadline(case, body, start, calendar)


def set_deadlines_for_new_body(case: Case, previous: Body | None, body: Body | None, start: dt.datetime) -> None:
    """set_deadlines for `body` from `start`, each later by what the case's deadline had gained over the previous
    body's own rule (time the clock stood still for the complainant, an extension): sending a case on from the
    triage queue does not take those back."""
    calendar = working_calendar(start)
    gained_to_acknowledge = _gained(calendar, case.acknowledge_due_at,
                                    acknowledge_deadline(case, previous, start, calendar))
    gained_to_respond = _gained(calendar, case.respond_due_at, respond_deadline(case, previous, start, calendar))
    case.acknowledge_due_at = calendar.add_working_days(acknowledge_deadline(case, body, start, calendar),
                                                        gained_to_acknowledge)
    case.respond_due_at = calendar.add_working_days(respond_deadline(case, body, start, calendar), gained_to_respond)


def _gained(calendar: WorkingCalendar, due: dt.datetime | None, by_the_rule: dt.datetime) -> int:
    """The working days a deadline is later than its rule says."""
    return calendar.working_days_between(by_the_rule, due) if due is not None and due > by_the_rule else 0


def bring_deadlines_forward(case: Case, body: Body | None) -> None:
    """After a case became urgent: deadlines not yet met move to the urgent windows from when it was received,
    unless they are earlier already (a paused clock may have moved them later; urgent windows are never
    longer than ordinary ones)."""
    start = case.created_at or utcnow()
    calendar = working_calendar(start)
    if case.acknowledged_at is None and case.acknowledge_due_at is not None:
        case.acknowledge_due_at = min(case.acknowledge_due_at, acknowledge_deadline(case, body, start, calendar))
    if case.responded_at is None and case.respond_due_at is not None:
        case.respond_due_at = min(case.respond_due_at, respond_deadline(case, body, start, calendar))


def extension_limit(case: Case) -> int:
    """The most working days one extension may add: the ordinary time to answer again, and never past the law's
    outer limit, twice its months from receipt (six months: the whistleblower rules' duly justified case); 0 when
    the deadline is there already. A case reopened on appeal has the ordinary time only (the law counted its first
    answer)."""
    days = respond_days(case, case.body)
    months = _statutory("STATUTORY_RESPOND_MONTHS", STATUTORY_RESPOND_MONTHS)
    if months and case.created_at is not None and case.respond_due_at is not None and not reopened_on_appeal(case):
        calendar = working_calendar(case.created_at)
        outer = calendar.add_months(case.created_at, 2 * months)
        days = min(days, calendar.working_days_between(case.respond_due_at, outer))
    return max(days, 0)


def reopened_on_appeal(case: Case) -> bool:
    """Whether the case was ever reopened (by the complainant's appeal or by staff)."""
    return any(event.to_status == CaseStatus.REOPENED.value for event in case.events)


def extended_deadline(case: Case, days: int) -> dt.datetime:
    """The answer's deadline `days` working days later than it is now."""
    due = case.respond_due_at or utcnow()
    return working_calendar(due).add_working_days(due, days)


def pause_deadline_clock(case: Case, now: dt.datetime | None = None) -> bool:
    """Stop the deadline clock while the body waits for the complainant. False if it was already stopped."""
    if case.waiting_since is not None:
        return False
    # A new question: none of its days counted yet (what an earlier one counted is that one's).
    case.waiting_since, case.wait_days_counted = now or utcnow(), 0
    return True


def wait_limit() -> int | None:
    """The most working days one stop of the clock counts (DEADLINE_WAIT_MAX_WORKING_DAYS); None: no limit."""
    return _statutory("DEADLINE_WAIT_MAX_WORKING_DAYS", WAIT_MAX_WORKING_DAYS)


def working_days_stopped(case: Case, now: dt.datetime) -> int:
    """The working days a stopped clock has stood still by `now` (each working day that began since it stopped);
    0 when it runs."""
    if case.waiting_since is None:
        return 0
    return working_calendar(case.waiting_since).working_days_between(case.waiting_since, now)


def wait_days_left(case: Case) -> int | None:
    """The working days the current stop may still count (`wait_limit()` less what the same stop counted already
    before a send-back); None: no limit."""
    limit = wait_limit()
    return max(limit - (case.wait_days_counted or 0), 0) if limit is not None else None


def working_days_waited(case: Case, now: dt.datetime) -> int:
    """working_days_stopped, at most `wait_days_left()`: what the deadlines move by."""
    days = working_days_stopped(case, now)
    left = wait_days_left(case)
    return min(days, left) if left is not None else days


def resume_deadline_clock(case: Case, now: dt.datetime | None = None) -> bool:
    """Run the clock again: deadlines not yet met move later by the working days spent waiting (each working
    day that began while the clock stood still, at most what is left of `wait_limit()` for the question), and so
    still end at the end of a working day. A question answered the same day moves nothing.

    The one place that restarts a stopped clock: a complainant's message, staff and the deadline sweep for a
    question never answered (`reminders.restart_unanswered_clocks`) all use it. False if it was running.
    """
    if case.waiting_since is None:
        return False
    now = now or utcnow()
    calendar = working_calendar(case.waiting_since)
    days = working_days_waited(case, now)
    if days > 0 and case.acknowledged_at is None and case.acknowledge_due_at is not None:
        case.acknowledge_due_at = calendar.add_working_days(case.acknowledge_due_at, days)
    if days > 0 and case.responded_at is None and case.respond_due_at is not None:
        case.respond_due_at = calendar.add_working_days(case.respond_due_at, days)
    case.waiting_since, case.wait_days_counted = None, 0
    return True


def keep_waiting_from(case: Case, now: dt.datetime) -> None:
    """A stopped clock taken up again from `now` for the same question (the case sent back for a fresh
    acknowledgement, which must gain only the days waited from then): the days waited so far move the deadlines now
    and stay counted towards the question's wait limit, so no send-back starts that limit again."""
    if case.waiting_since is None:
        return
    counted = (case.wait_days_counted or 0) + working_days_waited(case, now)
    resume_deadline_clock(case, now)
    pause_deadline_clock(case, now)
    case.wait_days_counted = counted


@dataclass(frozen=True)
class DeadlineState:
    """The deadline that matters now: what is due, when, and whether it has passed."""

    kind: str | None  # "acknowledge", "respond" or None when nothing is due
    due_at: dt.datetime | None
    overdue: bool
    waiting: bool  # the clock is stopped while the body waits for the complainant

    @property
    def label(self) -> str:
        if self.kind is None:
            return gettext("No deadline running")
        return gettext("Acknowledge by") if self.kind == "acknowledge" else gettext("Respond by")


def next_deadline(case: Case) -> tuple[str | None, dt.datetime | None]:
    if case.status not in RUNNING_STATUSES:
        return None, None
    if case.acknowledged_at is None and case.acknowledge_due_at is not None:
        return "acknowledge", case.acknowledge_due_at
    if case.responded_at is None and case.respond_due_at is not None:
        return "respond", case.respond_due_at
    return None, None


def deadline_state(case: Case, now: dt.datetime) -> DeadlineState:
    """The same rule as `queries.overdue_condition`, for one loaded case."""
    kind, due = next_deadline(case)
    waiting = case.waiting_since is not None and case.status in RUNNING_STATUSES
    overdue = not waiting and case.status in RUNNING_STATUSES and (
        (case.acknowledged_at is None and case.acknowledge_due_at is not None and case.acknowledge_due_at < now)
        or (case.responded_at is None and case.respond_due_at is not None and case.respond_due_at < now))
    return DeadlineState(kind, due, overdue, waiting)


def describe_due(due: dt.datetime | None, now: dt.datetime) -> str:
    """'in 3 days', 'in 5 hours', '2 days ago': short words for a badge or a queue row."""
    if due is None:
        return ""
    delta = due - now
    seconds = abs(delta.total_seconds())
    days, hours = int(seconds // 86400), max(1, int(seconds // 3600))
    if delta.total_seconds() >= 0:
        return (ngettext("in %(num)s day", "in %(num)s days", days) if days
                else ngettext("in %(num)s hour", "in %(num)s hours", hours))
    return (ngettext("%(num)s day ago", "%(num)s days ago", days) if days
            else ngettext("%(num)s hour ago", "%(num)s hours ago", hours))
