"""Reads for staff pages, always through `visible_cases`: queues, the dashboard, a case's timeline."""
from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import gettext
from sqlalchemy import ColumnElement, Select, SQLColumnExpression, and_, func, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import selectinload

from civicwatch.accounts.models import Role, User
from civicwatch.cases.models import (
    IN_PROGRESS,
    OPEN_STATUSES,
    STATUS_LABELS,
    Case,
    CaseEvent,
    CaseMessage,
    CaseStatus,
    Channel,
    MessageKind,
)
from civicwatch.cases.permissions import visible_cases
from civicwatch.cases.search import search_condition
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.i18n import N_
from civicwatch.taxonomy.models import Body

PAGE_SIZE = 25


# ---------------------------------------------------------------- deadlines in SQL

def overdue_condition(now: dt.datetime) -> ColumnElement[bool]:
    """Open, the clock running, and a deadline not met in time. Mirrors `deadlines.deadline_state`."""
    return and_(
        Case.status.in_(OPEN_STATUSES),
        Case.waiting_since.is_(None),
        or_(
            and_(Case.acknowledged_at.is_(None), Case.acknowledge_due_at < now),
            and_(Case.responded_at.is_(None), Case.respond_due_at < now),
        ),
    )


def next_due_expression() -> ColumnElement[dt.datetime]:
    """The deadline that matters now: acknowledgement until it happens, then the response."""
    return sql_case((Case.acknowledged_at.is_(None), Case.acknowledge_due_at), else_=Case.respond_due_at)


# ---------------------------------------------------------------- queues

@dataclass(frozen=True)
class Queue:
    key: str
    label: str
    description: str


QUEUES = {
    "triage": Queue("triage", N_("Triage queue"), N_("Open cases no body holds yet: route each one.")),
    "body": Queue("body", N_("My body's cases"), N_("Cases your body is working on.")),
    "mine": Queue("mine", N_("Assigned to me"), N_("Cases in progress assigned to you.")),
    "urgent": Queue("urgent", N_("Urgent"), N_("Someone's life, safety or liberty may be at risk now.")),
    "overdue": Queue("overdue", N_("Overdue"), N_("Open cases past a deadline, with the clock running.")),
    "open": Queue("open", N_("All in progress"), N_("Every case still being worked on.")),
    "all": Queue("all", N_("Every case"), N_("Including closed, rejected, referred and withdrawn cases.")),
}


def queues_for(user: User) -> list[Queue]:
    keys = {
        Role.INVESTIGATOR: ("body", "mine", "urgent", "overdue", "all"),
        Role.TRIAGE: ("triage", "open", "urgent", "overdue", "all"),
    }.get(user.role, ("triage", "open", "urgent", "overdue", "all"))
    return [QUEUES[key] for key in keys]


def default_queue(user: User) -> str:
    return {Role.INVESTIGATOR: "body", Role.TRIAGE: "triage"}.get(user.role, "open")


@dataclass
class QueueFilters:
    q: str | None = None
    theme_id: int | None = None
    status: CaseStatus | None = None
    region_id: int | None = None
    district_id: int | None = None
    actor_id: int | None = None
    urgent: bool | None = None
    body_id: int | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None


@dataclass
class Page:
    items: list[Case]
    total: int
    page: int
    per_page: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first_index(self) -> int:
        return 0 if self.total == 0 else (self.page - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.per_page)


def _queue_scope(user: User, queue: str, now: dt.datetime, statuses_given: bool) -> Select:
    query = visible_cases(user)
    default_statuses = {"all": None, "overdue": OPEN_STATUSES, "triage": OPEN_STATUSES,
                        "urgent": OPEN_STATUSES}.get(queue, IN_PROGRESS)
    if default_statuses and not statuses_given:
        query = query.where(Case.status.in_(default_statuses))
    if queue == "triage":
        query = query.where(Case.body_id.is_(None))
    elif queue == "mine":
        query = query.where(Case.assigned_to_id == user.id)
    elif queue == "urgent":
        query = query.where(Case.urgent.is_(True))
    elif queue == "overdue":
        query = query.where(overdue_condition(now))
    return query


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def _apply_filters(query: Select, filters: QueueFilters) -> Select:
    equal = {Case.theme_id: filters.theme_id, Case.region_id: filters.region_id,
             Case.district_id: filters.district_id, Case.actor_id: filters.actor_id, Case.body_id: filters.body_id,
             Case.status: filters.status, Case.urgent: filters.urgent}
    for column, value in equal.items():
        if value is not None:
            query = query.where(column == value)
    if filters.received_from:
        query = query.where(Case.created_at >= _day_start(filters.received_from))
    if filters.received_to:
        query = query.where(Case.created_at < _day_start(filters.received_to + dt.timedelta(days=1)))
    return _apply_search(query, filters.q)


def _apply_search(query: Select, text: str | None) -> Select:
    text = (text or "").strip()
    if not text:
        return query
    if text.upper().startswith("CW-"):
        return query.where(Case.reference == text.upper())
    condition = search_condition(Case.id, db.session.get_bind().dialect.name, text)
    return query if condition is None else query.where(condition)


def queue_page(user: User, queue: str, filters: QueueFilters, page: int = 1,
               per_page: int = PAGE_SIZE) -> Page:
    """One page of a queue, urgent first, then the nearest deadline first."""
    now = utcnow()
    query = _apply_filters(_queue_scope(user, queue, now, filters.status is not None), filters)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    page = max(1, min(page, max(1, -(-total // per_page))))
    items = list(db.session.scalars(
        query.options(selectinload(Case.theme), selectinload(Case.body), selectinload(Case.assigned_to))
        .order_by(Case.urgent.desc(), next_due_expression().asc().nulls_last(), Case.id.asc())
        .limit(per_page).offset((page - 1) * per_page)))
    return Page(items, total, page, per_page)


# ---------------------------------------------------------------- dashboard

@dataclass
class DashboardFigures:
    open_by_status: dict[str, int]
    overdue: int
    due_this_week: int
    urgent_open: int
    triage_queue: int
    awaiting_closure: int = 0
    quarter_label: str = ""
    median_days_to_acknowledge: float | None = None
    median_days_to_close: float | None = None
    acknowledged_this_quarter: int = 0
    closed_this_quarter: int = 0
    body: Body | None = None
    queue_counts: dict[str, int] = field(default_factory=dict)
    received_by_channel: dict[Channel, int] = field(default_factory=dict)  # this quarter, most first


def quarter_start(now: dt.datetime) -> dt.datetime:
    return dt.datetime(now.year, 3 * ((now.month - 1) // 3) + 1, 1, tzinfo=dt.UTC)


def _days_expression(start: SQLColumnExpression[dt.datetime | None],
                     end: SQLColumnExpression[dt.datetime | None]) -> ColumnElement[float | Decimal]:
    if db.session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start) / 86400.0
    return func.julianday(end) - func.julianday(start)


def _median_days(scope: Select, start: SQLColumnExpression[dt.datetime | None],
                 end: SQLColumnExpression[dt.datetime | None], since: dt.datetime) -> tuple[float | None, int]:
    """The median of (end - start) in days over the scope's cases whose `end` falls after `since`.

    One indexed range read of a quarter's durations. PostgreSQL takes the median itself (the rows never leave
    the server); SQLite has no percentile function, so there it is taken in Python."""
    days = _days_expression(start, end)
    in_range = scope.where(end.is_not(None), end >= since).order_by(None)
    if db.session.get_bind().dialect.name == "postgresql":
        median, count = db.session.execute(in_range.with_only_columns(
            func.percentile_cont(0.5).within_group(days), func.count())).one()
        return (None if median is None else round(float(median), 1)), count
    values = sorted(float(v) for v in db.session.scalars(in_range.with_only_columns(days)))
    if not values:
        return None, 0
    return round(statistics.median(values), 1), len(values)


def _in_progress_counts(scope: Select, now: dt.datetime, user: User) -> dict[CaseStatus, dict[str, int]]:
    """Every count of the cases in progress, by status, in one scan of `ix_cases_in_progress`."""
    is_open = Case.status.in_(OPEN_STATUSES)
    week = and_(Case.waiting_since.is_(None), next_due_expression().between(now, now + dt.timedelta(days=7)))
    counted = {
        "all": None,
        "overdue": overdue_condition(now),
        "due_this_week": and_(is_open, week),
        "urgent": and_(is_open, Case.urgent.is_(True)),
        "triage": and_(is_open, Case.body_id.is_(None)),
        "mine": Case.assigned_to_id == user.id,
    }
    columns = [func.count() if condition is None else func.count().filter(condition)
               for condition in counted.values()]
    grouped = (scope.where(Case.status.in_(IN_PROGRESS)).with_only_columns(Case.status, *columns)
               .group_by(Case.status).order_by(None))
    return {row[0]: dict(zip(counted, row[1:], strict=True)) for row in db.session.execute(grouped)}


def _received_by_channel(scope: Select, since: dt.datetime) -> dict[Channel, int]:
    grouped = (scope.where(Case.created_at >= since).with_only_columns(Case.channel, func.count())
               .group_by(Case.channel).order_by(func.count().desc(), Case.channel))
    return {channel: count for channel, count in db.session.execute(grouped).tuples()}


def dashboard_figures(user: User, body: Body | None = None) -> DashboardFigures:
    """The figures of the dashboard: for one body (investigators: always their own), or every body."""
    now = utcnow()
    scope = visible_cases(user)
    if body is not None:
        scope = scope.where(Case.body_id == body.id)
    counts = _in_progress_counts(scope, now, user)

    def total(name: str, statuses: tuple[CaseStatus, ...] = IN_PROGRESS) -> int:
        return sum(counts[s][name] for s in statuses if s in counts)

    since = quarter_start(now)
    ack_median, ack_count = _median_days(scope, Case.created_at, Case.acknowledged_at, since)
    close_median, close_count = _median_days(scope.where(Case.status == CaseStatus.CLOSED), Case.created_at,
                                             Case.closed_at, since)
    figures = DashboardFigures(
        open_by_status={s.value: total("all", (s,)) for s in OPEN_STATUSES},
        overdue=total("overdue"),
        due_this_week=total("due_this_week"),
        urgent_open=total("urgent"),
        triage_queue=total("triage"),
        awaiting_closure=total("all", (CaseStatus.RESPONDED,)),
        quarter_label=f"Q{(now.month - 1) // 3 + 1} {now.year}",
        median_days_to_acknowledge=ack_median,
        median_days_to_close=close_median,
        acknowledged_this_quarter=ack_count,
        closed_this_quarter=close_count,
        body=body,
        received_by_channel=_received_by_channel(scope, since),
    )
    if body is None or user.role is Role.INVESTIGATOR:  # the queue tabs count what the queues list
        in_progress = total("all")
        figures.queue_counts = {"triage": figures.triage_queue, "urgent": figures.urgent_open,
                                "overdue": figures.overdue, "open": in_progress, "body": in_progress}
        if user.role is Role.INVESTIGATOR:
            figures.queue_counts["mine"] = total("mine")
    return figures


# ---------------------------------------------------------------- a case's timeline

@dataclass
class TimelineItem:
    at: dt.datetime
    kind: str  # event kind, or note / to_complainant / from_complainant
    title: str
    text: str | None = None
    author: str | None = None
    internal: bool = False
    detail: dict[str, Any] = field(default_factory=dict)


def _status_words(code: str) -> str:
    try:
        return gettext(STATUS_LABELS[CaseStatus(code)])
    except ValueError:  # a status no longer in the workflow, kept in an old event
        return code.replace("_", " ")


def _event_title(event: CaseEvent) -> str:
    detail = event.detail or {}
    if event.kind == "status":
        assert event.to_status is not None  # transition_case records both ends of every status event
        if event.from_status:
            return gettext("Status: %(before)s → %(after)s", before=_status_words(event.from_status),
                           after=_status_words(event.to_status))
        return gettext("Status: %(status)s", status=_status_words(event.to_status))
    if event.kind == "received":
        return gettext("Complaint received")
    if event.kind == "routed":
        return gettext("Sent to %(body)s", body=detail["body"]) if detail.get("body") else gettext(
            "Sent to another body")
    if event.kind == "assigned":
        return gettext("Assigned to %(name)s", name=detail["assignee"]) if detail.get("assignee") else gettext(
            "Unassigned")
    titles = {
        "recused": N_("A staff member recused (conflict of interest)"),
        "clock_paused": N_("Deadline clock stopped: waiting for the complainant"),
        "clock_resumed": N_("Deadline clock running again"),
    }
    if event.kind in titles:
        return gettext(titles[event.kind])
    return event.kind.replace("_", " ").capitalize()


def case_timeline(case: Case) -> list[TimelineItem]:
    """Events, messages and notes of one case, oldest first, in one list."""
    items = []
    for event in case.events:
        if event.kind == "complainant_message":
            continue  # the message itself is in the timeline
        detail = event.detail or {}
        items.append(TimelineItem(
            event.created_at, event.kind, _event_title(event), text=detail.get("reason"),
            author=event.user.name if event.user else None, internal=not event.public, detail=detail))
    for message in case.messages:
        title = _message_title(message)
        items.append(TimelineItem(
            message.created_at, message.kind.value, title, text=message.body,
            author=message.author.name if message.author else None, internal=message.kind is MessageKind.NOTE))
    return sorted(items, key=lambda item: item.at)


def _message_title(message: CaseMessage) -> str:
    if message.kind is MessageKind.NOTE:
        return gettext("Internal note")
    if message.kind is MessageKind.FROM_COMPLAINANT:
        return gettext("From the complainant")
    if message.channel.value == "sms":
        return gettext("Message to the complainant (by SMS and web follow-up)")
    return gettext("Message to the complainant (web follow-up)")


def message_attachments(case: Case) -> dict[int | None, list]:
    grouped: dict[int | None, list] = {}
    for attachment in case.attachments:
        grouped.setdefault(attachment.message_id, []).append(attachment)
    return grouped


def note_count(case: Case) -> int:
    return db.session.scalar(select(func.count()).where(CaseMessage.case_id == case.id,
                                                        CaseMessage.kind == MessageKind.NOTE)) or 0
