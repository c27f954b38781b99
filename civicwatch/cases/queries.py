"""Reads for staff pages, always through `visible_cases`: queues, the dashboard, a case's timeline."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext
from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true
from sqlalchemy import case as sql_case
from sqlalchemy.orm import selectinload

from civicwatch.accounts.models import Role, User
from civicwatch.cases.closure_words import cases_with_unread_words, unread_words_after_closure, unread_words_while_open
from civicwatch.cases.counts import quarter_label, quarter_name, quarter_start
from civicwatch.cases.models import (
    IN_PROGRESS,
    NO_BODY,
    OPEN_STATUSES,
    STATUS_LABELS,
    Case,
    CaseCount,
    CaseEvent,
    CaseMessage,
    CaseStatus,
    Channel,
    DashboardMedians,
    MessageKind,
)
from civicwatch.cases.permissions import recused_case_ids, visible_cases
from civicwatch.cases.retaliation import unseen_retaliation_report
from civicwatch.cases.search import search_condition, search_text, searched_reference
from civicwatch.database import deployment_midnight, utcnow
from civicwatch.extensions import db
from civicwatch.i18n import N_, current_language
from civicwatch.taxonomy.models import Body
from civicwatch.taxonomy.queries import recorded_body_name

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
    "retaliation": Queue("retaliation", N_("Retaliation reported"),
                         N_("The complainant answered that something happened to them because they reported, and "
                            "nobody has marked it seen yet.")),
    "new_words": Queue("new_words", N_("New words from the complainant"),
                       N_("The complainant wrote while the case was being worked on (an answer to a question, "
                          "most often), and nobody of its body has marked the words read yet.")),
    "closed_words": Queue("closed_words", N_("New words on closed cases"),
                          N_("The complainant wrote after the case was closed, rejected, referred or withdrawn, and "
                             "nobody of its body has marked the words read yet.")),
    "open": Queue("open", N_("All in progress"), N_("Every case still being worked on.")),
    "all": Queue("all", N_("Every case"), N_("Including closed, rejected, referred and withdrawn cases.")),
}


def queues_for(user: User) -> list[Queue]:
    keys = {
        Role.INVESTIGATOR: ("body", "mine", "urgent", "retaliation", "new_words", "closed_words", "overdue", "all"),
        Role.TRIAGE: ("triage", "open", "urgent", "retaliation", "new_words", "closed_words", "overdue", "all"),
    }.get(user.role, ("triage", "open", "urgent", "retaliation", "new_words", "closed_words", "overdue", "all"))
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
    new_words: set[int] = field(default_factory=set)  # the listed cases with words from the complainant unread

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
    default_statuses = {"all": None, "retaliation": None, "closed_words": None, "new_words": None,
                        "overdue": OPEN_STATUSES, "triage": OPEN_STATUSES,
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
    elif queue == "retaliation":  # until seen, whatever became of the case since
        query = query.where(unseen_retaliation_report())
    elif queue == "closed_words":  # until read, whatever became of the case since
        query = query.where(unread_words_after_closure())
    elif queue == "new_words":  # until read, whatever became of the case since
        query = query.where(unread_words_while_open())
    return query


def _apply_filters(query: Select, filters: QueueFilters) -> Select:
    equal = {Case.theme_id: filters.theme_id, Case.region_id: filters.region_id,
             Case.district_id: filters.district_id, Case.actor_id: filters.actor_id, Case.body_id: filters.body_id,
             Case.status: filters.status, Case.urgent: filters.urgent}
    for column, value in equal.items():
        if value is not None:
            query = query.where(column == value)
    if filters.received_from:
        query = query.where(Case.created_at >= deployment_midnight(filters.received_from))
    if filters.received_to and filters.received_to < dt.date.max:  # the calendar's last day bounds nothing
        query = query.where(Case.created_at < deployment_midnight(filters.received_to + dt.timedelta(days=1)))
    return _apply_search(query, filters.q)


def _apply_search(query: Select, typed: str | None) -> Select:
    text = search_text(typed)
    if not text:
        return query
    if reference := searched_reference(text):
        return query.where(Case.reference == reference)
    condition = search_condition(Case.id, db.session.get_bind().dialect.name, text)
    return query if condition is None else query.where(condition)


def case_by_reference(user: User, typed: str | None) -> Case | None:
    """The case whose reference was typed, if the user may open it: a queue that does not list it can still lead
    to it. None when words were typed, or the reference is of no case the user may open."""
    reference = searched_reference(search_text(typed))
    return db.session.scalar(visible_cases(user).where(Case.reference == reference)) if reference else None


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
    return Page(items, total, page, per_page, cases_with_unread_words([case.id for case in items]))


# ---------------------------------------------------------------- dashboard

@dataclass
class DashboardFigures:
    open_by_status: dict[str, int]
    overdue: int
    due_this_week: int
    urgent_open: int
    triage_queue: int
    retaliation_unseen: int = 0
    closed_words_unread: int = 0
    new_words_unread: int = 0
    awaiting_closure: int = 0
    quarter_label: str = ""
    median_days_to_acknowledge: float | None = None
    median_days_to_close: float | None = None
    acknowledged_this_quarter: int = 0
    closed_this_quarter: int = 0
    medians_as_of: dt.datetime | None = None  # when the worker computed the quarter's medians
    body: Body | None = None
    queue_counts: dict[str, int] = field(default_factory=dict)
    received_by_channel: dict[Channel, int] = field(default_factory=dict)  # this quarter, most first


def _body_key(user: User, body: Body | None) -> int | None:
    """The body whose figures are shown (NO_BODY: cases no body holds), or None for every body."""
    if user.role is Role.INVESTIGATOR:  # as `visible_cases`: their own body, whatever was asked
        return user.body_id if user.body_id is not None else NO_BODY
    return body.id if body is not None else None


def _status_counts(user: User, body_key: int | None) -> dict[tuple[int, CaseStatus], int]:
    """Cases by (body, status), read from `case_counts`, less the cases the user recused from."""
    stored = select(CaseCount.body_id, CaseCount.status, CaseCount.cases)
    if body_key is not None:
        stored = stored.where(CaseCount.body_id == body_key)
    counts: dict[tuple[int, CaseStatus], int] = {}
    for body_id, status, count in db.session.execute(stored):
        counts[(body_id, CaseStatus(status))] = count
    recused_ids = recused_case_ids(user)  # already read for `visible_cases`: most people have none
    if not recused_ids:
        return counts
    recused = (select(func.coalesce(Case.body_id, NO_BODY), Case.status, func.count())
               .where(Case.id.in_(recused_ids)).group_by(Case.body_id, Case.status))
    for body_id, status, count in db.session.execute(recused):
        if (body_id, status) in counts:
            counts[(body_id, status)] -= count
    return counts


def _count(query: Select) -> ColumnElement[int]:
    return query.with_only_columns(func.count()).order_by(None).scalar_subquery()


def _deadline_counts(scope: Select, now: dt.datetime, user: User, body_key: int | None) -> dict[str, Any]:
    """Overdue, due this week, urgent, retaliation reported and not seen, words after closure not read, and
    (investigators) mine, each read through the partial index that holds only the cases (or reports, or messages)
    concerned (`models`: ix_cases_open_acknowledge_due_at, ix_cases_open_respond_due_at, ix_cases_urgent_open,
    ix_retaliation_check_ins_unseen, ix_case_messages_unread_after_closure, ix_case_messages_unread_while_open,
    ix_cases_in_progress_assigned_to_id). Exactly `overdue_condition` and
    `next_due_expression`, split along those indexes. The quarter's medians (`_medians`) come in the same
    statement: one round trip fewer on every dashboard."""
    running = scope.where(Case.status.in_(OPEN_STATUSES), Case.waiting_since.is_(None))
    unacknowledged = running.where(Case.acknowledged_at.is_(None))
    week_end = now + dt.timedelta(days=7)
    not_late_to_acknowledge = or_(Case.acknowledged_at.is_not(None), Case.acknowledge_due_at.is_(None),
                                  Case.acknowledge_due_at >= now)
    figures = {
        "late_to_acknowledge": _count(unacknowledged.where(Case.acknowledge_due_at < now)),
        "late_to_answer_only": _count(running.where(Case.responded_at.is_(None), Case.respond_due_at < now,
                                                    not_late_to_acknowledge)),
        "acknowledge_this_week": _count(unacknowledged.where(Case.acknowledge_due_at.between(now, week_end))),
        "answer_this_week": _count(running.where(Case.acknowledged_at.is_not(None),
                                                 Case.respond_due_at.between(now, week_end))),
        "urgent": _count(scope.where(Case.status.in_(OPEN_STATUSES), Case.urgent == true())),
        "retaliation": _count(scope.where(unseen_retaliation_report())),
        "closed_words": _count(scope.where(unread_words_after_closure())),
        "new_words": _count(scope.where(unread_words_while_open())),
    }
    if user.role is Role.INVESTIGATOR:
        figures["mine"] = _count(scope.where(Case.status.in_(IN_PROGRESS), Case.assigned_to_id == user.id))
    figures |= _medians(body_key, now)
    row = db.session.execute(select(*(value.label(name) for name, value in figures.items()))).one()
    return dict(row._mapping)


def _received_by_channel(scope: Select, since: dt.datetime) -> dict[Channel, int]:
    grouped = (scope.where(Case.created_at >= since).with_only_columns(Case.channel, func.count())
               .group_by(Case.channel).order_by(func.count().desc(), Case.channel))
    return {channel: count for channel, count in db.session.execute(grouped).tuples()}


MEDIAN_COLUMNS = ("days_to_acknowledge", "days_to_close", "acknowledged", "closed", "computed_at")


def _medians(body_key: int | None, now: dt.datetime) -> dict[str, ColumnElement[Any]]:
    """The quarter's medians as the worker last computed them (all NULL before it has, this quarter)."""
    row = select(DashboardMedians).where(DashboardMedians.body_id == (NO_BODY if body_key is None else body_key),
                                         DashboardMedians.quarter == quarter_name(now))
    return {f"median_{name}": row.with_only_columns(getattr(DashboardMedians, name)).scalar_subquery()
            for name in MEDIAN_COLUMNS}


def dashboard_figures(user: User, body: Body | None = None) -> DashboardFigures:
    """The figures of the dashboard: for one body (investigators: always their own), or every body."""
    now = utcnow()
    scope = visible_cases(user)
    if body is not None:
        scope = scope.where(Case.body_id == body.id)
    body_key = _body_key(user, body)
    counts = _status_counts(user, body_key)
    timed = _deadline_counts(scope, now, user, body_key)

    def total(statuses: tuple[CaseStatus, ...] = IN_PROGRESS, body_id: int | None = None) -> int:
        return sum(count for (counted_body, status), count in counts.items()
                   if status in statuses and (body_id is None or counted_body == body_id))

    figures = DashboardFigures(
        open_by_status={s.value: total((s,)) for s in OPEN_STATUSES},
        overdue=timed["late_to_acknowledge"] + timed["late_to_answer_only"],
        due_this_week=timed["acknowledge_this_week"] + timed["answer_this_week"],
        urgent_open=timed["urgent"],
        retaliation_unseen=timed["retaliation"],
        closed_words_unread=timed["closed_words"],
        new_words_unread=timed["new_words"],
        triage_queue=total(OPEN_STATUSES, NO_BODY) if body_key is None else 0,
        awaiting_closure=total((CaseStatus.RESPONDED,)),
        quarter_label=quarter_label(now),
        median_days_to_acknowledge=timed["median_days_to_acknowledge"],
        median_days_to_close=timed["median_days_to_close"],
        acknowledged_this_quarter=timed["median_acknowledged"] or 0,
        closed_this_quarter=timed["median_closed"] or 0,
        medians_as_of=timed["median_computed_at"],
        body=body,
        received_by_channel=_received_by_channel(scope, quarter_start(now)),
    )
    if body is None or user.role is Role.INVESTIGATOR:  # the queue tabs count what the queues list
        in_progress = total()
        figures.queue_counts = {"triage": figures.triage_queue, "urgent": figures.urgent_open,
                                "retaliation": figures.retaliation_unseen,
                                "closed_words": figures.closed_words_unread,
                                "new_words": figures.new_words_unread,
                                "overdue": figures.overdue, "open": in_progress, "body": in_progress}
        if user.role is Role.INVESTIGATOR:
            figures.queue_counts["mine"] = timed["mine"]
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
    unread: bool = False  # the complainant's words, not marked read yet


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
        if not detail.get("body"):
            return gettext("Sent to another body")
        return gettext("Sent to %(body)s", body=recorded_body_name(detail["body"], current_language()))
    if event.kind == "assigned":
        return gettext("Assigned to %(name)s", name=detail["assignee"]) if detail.get("assignee") else gettext(
            "Unassigned")
    if event.kind == "clock_resumed" and detail.get("unanswered_after_days"):
        return gettext("Deadline clock running again: no answer from the complainant in %(days)s working days",
                       days=detail["unanswered_after_days"])
    titles = {
        "recused": N_("A staff member recused (conflict of interest)"),
        "clock_paused": N_("Deadline clock stopped: waiting for the complainant"),
        "clock_resumed": N_("Deadline clock running again"),
        "closure_words_read": N_("The complainant's words after closure marked read"),
        "complainant_words_read": N_("The complainant's new words marked read"),
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
            author=message.author.name if message.author else None, internal=message.kind is MessageKind.NOTE,
            unread=message.kind is MessageKind.FROM_COMPLAINANT and message.read_at is None))
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
