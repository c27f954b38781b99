"""Cases and everything that hangs off them: events, messages, attachments, findings."""
from __future__ import annotations

import datetime as dt
import enum
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy import text as sql_text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civicwatch.accounts.models import User
from civicwatch.database import TimestampMixin, UTCDateTime, enum_column, utcnow
from civicwatch.extensions import Model
from civicwatch.i18n import N_
from civicwatch.taxonomy.models import Actor, Body, District, Region, Theme


class CaseStatus(enum.Enum):
    RECEIVED = "received"
    TRIAGED = "triaged"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATING = "investigating"
    RESPONDED = "responded"
    CLOSED = "closed"
    REJECTED = "rejected"
    REFERRED = "referred"
    WITHDRAWN = "withdrawn"
    REOPENED = "reopened"


# The status as staff pages name it, translated where it is shown (cases.views' status_label filter).
STATUS_LABELS: dict[CaseStatus, str] = {
    CaseStatus.RECEIVED: N_("Received"),
    CaseStatus.TRIAGED: N_("Triaged"),
    CaseStatus.ACKNOWLEDGED: N_("Acknowledged"),
    CaseStatus.INVESTIGATING: N_("Investigating"),
    CaseStatus.RESPONDED: N_("Responded"),
    CaseStatus.CLOSED: N_("Closed"),
    CaseStatus.REJECTED: N_("Rejected"),
    CaseStatus.REFERRED: N_("Referred"),
    CaseStatus.WITHDRAWN: N_("Withdrawn"),
    CaseStatus.REOPENED: N_("Reopened"),
}


class Channel(enum.Enum):
    WEB = "web"
    SMS = "sms"
    OPEN311 = "open311"
    IMPORT = "import"
    WHATSAPP = "whatsapp"
    # Entered by staff on the complainant's behalf (civicwatch/intake/assisted.py): met in person, or by phone.
    IN_PERSON = "in_person"
    PHONE_CALL = "phone_call"

    @property
    def label(self) -> str:
        """How staff pages name the channel (in English: pass it through gettext to show it)."""
        return CHANNEL_LABELS[self]


CHANNEL_LABELS = {
    Channel.WEB: N_("web form"), Channel.SMS: N_("SMS"), Channel.WHATSAPP: N_("WhatsApp"), Channel.OPEN311: N_("Open311"),
    Channel.IMPORT: N_("import"), Channel.IN_PERSON: N_("in person (assisted)"),
    Channel.PHONE_CALL: N_("phone call (assisted)"),
}
# The channels a report comes by from the complainant's own phone: its receipt code and replies went to that number.
TEXT_CHANNELS = (Channel.SMS, Channel.WHATSAPP)


class Outcome(enum.Enum):
    SUBSTANTIATED = "substantiated"
    PARTLY_SUBSTANTIATED = "partly_substantiated"
    NOT_SUBSTANTIATED = "not_substantiated"
    UNFOUNDED = "unfounded"
    POLICY_FAILURE = "policy_failure"
    NO_JURISDICTION = "no_jurisdiction"

    @property
    def label(self) -> str:
        """How staff pages name the outcome (in English: pass it through gettext to show it)."""
        return OUTCOME_LABELS[self]


OUTCOME_LABELS = {
    Outcome.SUBSTANTIATED: N_("Substantiated"),
    Outcome.PARTLY_SUBSTANTIATED: N_("Partly substantiated"),
    Outcome.NOT_SUBSTANTIATED: N_("Not substantiated"),
    Outcome.UNFOUNDED: N_("Unfounded"),
    Outcome.POLICY_FAILURE: N_("Policy failure"),
    Outcome.NO_JURISDICTION: N_("No jurisdiction"),
}


class MessageKind(enum.Enum):
    NOTE = "note"  # internal, never shown to the complainant
    TO_COMPLAINANT = "to_complainant"
    FROM_COMPLAINANT = "from_complainant"


class Case(TimestampMixin, Model):
    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(
            "status <> 'closed' OR closed_at IS NOT NULL", name="closed_has_closed_at"
        ),
        CheckConstraint(
            "theme_confidence IS NULL OR (theme_confidence >= 0 AND theme_confidence <= 1)",
            name="confidence_range",
        ),
        CheckConstraint(
            "satisfaction IS NULL OR (satisfaction BETWEEN 1 AND 5)", name="satisfaction_range"
        ),
        CheckConstraint(
            "(deadline_extended_at IS NULL) = (deadline_extension_reason IS NULL)", name="extension_has_reason"
        ),
        # The cases of one place in a time window, newest first: related-case suggestions (patterns).
        Index("ix_cases_district_id_created_at", "district_id", "created_at"),
        # The same, of one theme: the neighbours most likely to be the same incident told again.
        Index("ix_cases_district_id_theme_id_created_at", "district_id", "theme_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    receipt_hash: Mapped[str] = mapped_column(String(64), unique=True)
    text: Mapped[str] = mapped_column(Text)
    # The language the text is written in, detected on arrival (classify/language.py): "und" when it cannot
    # be told, NULL for cases stored before detection.
    language: Mapped[str | None] = mapped_column(String(8))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "channel"))
    status: Mapped[CaseStatus] = mapped_column(
        enum_column(CaseStatus, "case_status"), default=CaseStatus.RECEIVED, index=True
    )

    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id"), index=True)
    theme_confidence: Mapped[float | None] = mapped_column(Float)
    theme_scores: Mapped[dict[str, float] | None] = mapped_column(JSON)
    model_version: Mapped[str | None] = mapped_column(String(64))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id"))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    location_text: Mapped[str | None] = mapped_column(String(500))
    reported_actor: Mapped[str | None] = mapped_column(String(32))  # what the citizen chose
    incident_date: Mapped[dt.date | None] = mapped_column(Date)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # The complainant fears retaliation for reporting: they get check-ins while the case is open and 30 and 90 days
    # after closure (cases/retaliation.py).
    fears_retaliation: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"), index=True)
    routing_explanation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    routed_by_hand: Mapped[bool] = mapped_column(Boolean, default=False)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)

    # The contact details themselves are in the identity vault (ComplainantIdentity); the keyed hash of the
    # phone number finds a case by phone without them.
    contact_phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)

    acknowledge_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    respond_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # indexed below
    responded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # indexed below
    # The deadline clock stops while the body waits for the complainant.
    waiting_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Working days of the same stop already added to the deadlines before `waiting_since` was moved on (a send-back
    # while waiting): they count towards the one question's wait limit.
    wait_days_counted: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The answer's deadline may be extended once, with a reason the complainant reads on the follow-up page.
    deadline_extended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    deadline_extension_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    outcome: Mapped[Outcome | None] = mapped_column(enum_column(Outcome, "outcome"))
    findings: Mapped[str | None] = mapped_column(Text)
    draft_public_response: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    # Raised when the complainant leaves the follow-up page: every browser session opened before stops working.
    tracking_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status_reason: Mapped[str | None] = mapped_column(Text)  # rejection/withdrawal reason the complainant sees
    # Optimistic locking: a second staff save on a stale copy raises StaleDataError -> 409.
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}

    theme: Mapped[Theme | None] = relationship()
    actor: Mapped[Actor | None] = relationship()
    region: Mapped[Region | None] = relationship()
    district: Mapped[District | None] = relationship()
    body: Mapped[Body | None] = relationship()
    assigned_to: Mapped[User | None] = relationship()
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan"
    )
    messages: Mapped[list[CaseMessage]] = relationship(
        back_populates="case", order_by="CaseMessage.id", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="case", order_by="Attachment.id", cascade="all, delete-orphan"
    )
    recommendations: Mapped[list[Recommendation]] = relationship(
        back_populates="case", order_by="Recommendation.id", cascade="all, delete-orphan"
    )
    identity: Mapped[ComplainantIdentity | None] = relationship(cascade="all, delete-orphan")
    assistance: Mapped[CaseAssistance | None] = relationship(back_populates="case")

    @hybrid_property
    def erased(self) -> bool:
        """The retention schedule erased the case's personal content: its text is emptied, and every complaint has
        one. Nothing more is taken from the complainant for it (it is never erased twice)."""
        return not self.text

    @erased.inplace.expression
    @classmethod
    def _erased_expression(cls) -> ColumnElement[bool]:
        return cls.text == ""

    def __repr__(self) -> str:
        return f"<Case {self.reference} {self.status.value}>"


# The staff dashboard reads its figures from these indexes alone on PostgreSQL (index-only scans), so its time
# follows the work in progress and the quarter's cases, not the whole history:
# - cases still being worked on (open, or answered and awaiting closure), a body's together, carrying every
#   column the counts test (deadlines, the stopped clock, urgency, assignee);
# - the quarter's acknowledgements and closures, with what the medians and the per-body filter need.
OPEN_STATUSES = (
    CaseStatus.RECEIVED,
    CaseStatus.TRIAGED,
    CaseStatus.ACKNOWLEDGED,
    CaseStatus.INVESTIGATING,
    CaseStatus.REOPENED,
)
# Cases that have ended: nobody works on them unless they are reopened.
ENDED_STATUSES = (CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.REFERRED, CaseStatus.WITHDRAWN)
# Cases someone still has to act on: open ones, and answered ones awaiting closure or appeal.
IN_PROGRESS = OPEN_STATUSES + (CaseStatus.RESPONDED,)
_IN_PROGRESS_PREDICATE = "status IN (" + ", ".join(f"'{status.value}'" for status in IN_PROGRESS) + ")"
_cases = cast(Table, Case.__table__)
Index("ix_cases_in_progress", _cases.c.body_id, _cases.c.status,
      postgresql_where=sql_text(_IN_PROGRESS_PREDICATE), sqlite_where=sql_text(_IN_PROGRESS_PREDICATE),
      postgresql_include=["urgent", "waiting_since", "acknowledged_at", "acknowledge_due_at", "responded_at",
                          "respond_due_at", "assigned_to_id"])
Index("ix_cases_acknowledged_at", _cases.c.acknowledged_at, postgresql_include=["created_at", "body_id"])
Index("ix_cases_closed_at", _cases.c.closed_at, postgresql_include=["created_at", "body_id", "status"])
# The quarter's cases by channel: a range of the newest cases, read from the index alone.
Index("ix_cases_created_at", _cases.c.created_at, postgresql_include=["channel", "body_id"])
# The dashboard's time-dependent figures read only the open cases whose deadline falls in the range asked
# (overdue: before now; due this week: the next seven days), the clock running: acknowledgements not yet made,
# and answers (with what `overdue_condition` and `next_due_expression` test besides).
_OPEN_PREDICATE = "status IN (" + ", ".join(f"'{status.value}'" for status in OPEN_STATUSES) + ")"
_ACK_DUE_PREDICATE = f"{_OPEN_PREDICATE} AND waiting_since IS NULL AND acknowledged_at IS NULL"
_RESPOND_DUE_PREDICATE = f"{_OPEN_PREDICATE} AND waiting_since IS NULL"
Index("ix_cases_open_acknowledge_due_at", _cases.c.acknowledge_due_at,
      postgresql_where=sql_text(_ACK_DUE_PREDICATE), sqlite_where=sql_text(_ACK_DUE_PREDICATE),
      postgresql_include=["body_id"])
Index("ix_cases_open_respond_due_at", _cases.c.respond_due_at,
      postgresql_where=sql_text(_RESPOND_DUE_PREDICATE), sqlite_where=sql_text(_RESPOND_DUE_PREDICATE),
      postgresql_include=["body_id", "acknowledged_at", "acknowledge_due_at", "responded_at"])
# The few urgent open cases, and a person's cases in progress, without reading the rest.
_URGENT_OPEN_PREDICATE = f"{_OPEN_PREDICATE} AND urgent"
Index("ix_cases_urgent_open", _cases.c.body_id,
      postgresql_where=sql_text(_URGENT_OPEN_PREDICATE), sqlite_where=sql_text(_URGENT_OPEN_PREDICATE))
Index("ix_cases_in_progress_assigned_to_id", _cases.c.assigned_to_id, _cases.c.body_id,
      postgresql_where=sql_text(_IN_PROGRESS_PREDICATE), sqlite_where=sql_text(_IN_PROGRESS_PREDICATE))

NO_BODY = 0  # the body_id of `case_counts` and `dashboard_medians` rows for cases no body holds yet / every body


class CaseCount(Model):
    """How many cases each body holds in each status (body_id NO_BODY: the triage queue). Kept by every writer of
    a case's status or body in the same transaction (`cases.counts`), so the dashboard reads a few rows instead of
    counting the work in progress; `flask civicwatch cases check-counts` recomputes it from the cases."""

    __tablename__ = "case_counts"

    body_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # no foreign key: NO_BODY is no body
    status: Mapped[str] = mapped_column(String(32), primary_key=True)
    cases: Mapped[int] = mapped_column(Integer, default=0)


class DashboardMedians(Model):
    """The quarter's median days to acknowledge and to close, per body (NO_BODY: every body), computed by the
    worker (`cases.counts.refresh_dashboard_medians`) so that no request takes a median over a quarter of cases.
    The dashboard shows when they were computed."""

    __tablename__ = "dashboard_medians"

    body_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quarter: Mapped[str] = mapped_column(String(8))  # '2026-Q4'
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    acknowledged: Mapped[int] = mapped_column(Integer, default=0)
    days_to_acknowledge: Mapped[float | None] = mapped_column(Float)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    days_to_close: Mapped[float | None] = mapped_column(Float)


class ComplainantIdentity(TimestampMixin, Model):
    """Who sent a case and how to reach them: apart from the case, under the identity vault's own key
    (crypto.IDENTITY_KEY). Staff see the masked forms; the details only through a custodian's grant."""

    __tablename__ = "complainant_identities"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    contact_encrypted: Mapped[bytes] = mapped_column(LargeBinary)  # JSON {"phone": ..., "email": ...}
    phone_masked: Mapped[str | None] = mapped_column(String(32))  # "+232 ••• ••56"
    email_masked: Mapped[str | None] = mapped_column(String(64))  # "s•••@•••.org"


class CaseAssistance(TimestampMixin, Model):
    """A case a member of staff entered on the complainant's behalf (met in person, or on the phone): who
    entered it, the consent the complainant gave (the wording they were read, kept as shown), that the text was
    read back to them and confirmed, their language and how they want to be contacted. No personal data."""

    __tablename__ = "case_assistances"
    __table_args__ = (
        CheckConstraint("contact_by IN ('none', 'sms', 'whatsapp')", name="contact_by_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    assisted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    consent_wording: Mapped[str] = mapped_column(Text)
    read_back_confirmed: Mapped[bool] = mapped_column(Boolean)
    language: Mapped[str] = mapped_column(String(8))
    contact_by: Mapped[str] = mapped_column(String(16))  # none, sms, whatsapp

    case: Mapped[Case] = relationship(back_populates="assistance")
    assisted_by: Mapped[User] = relationship()


class CaseEvent(Model):
    """One step in a case's history; `public` events make the complainant's timeline."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    public: Mapped[bool] = mapped_column(Boolean, default=False)

    case: Mapped[Case] = relationship(back_populates="events")
    user: Mapped[User | None] = relationship()


class CaseMessage(TimestampMixin, Model):
    __tablename__ = "case_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[MessageKind] = mapped_column(enum_column(MessageKind, "message_kind"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "message_channel"))
    body: Mapped[str] = mapped_column(Text)
    # The complainant wrote it once the case had ended: it waits in the body's "New words on closed cases" queue
    # until one of the body's staff marks it read (cases/closure_words.py). The complainant's words on a case still
    # worked on wait unread too, in the "New words from the complainant" queue; other messages are never read.
    after_closure: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship()


# The few words after closure nobody has read yet: the dashboard's count and the queue read them alone.
UNREAD_AFTER_CLOSURE_PREDICATE = "after_closure AND read_at IS NULL"
Index("ix_case_messages_unread_after_closure", cast(Table, CaseMessage.__table__).c.case_id,
      postgresql_where=sql_text(UNREAD_AFTER_CLOSURE_PREDICATE),
      sqlite_where=sql_text(UNREAD_AFTER_CLOSURE_PREDICATE))
# The complainant's words on cases still worked on that nobody has read yet (answers to staff questions above all).
UNREAD_WHILE_OPEN_PREDICATE = "kind = 'from_complainant' AND NOT after_closure AND read_at IS NULL"
Index("ix_case_messages_unread_while_open", cast(Table, CaseMessage.__table__).c.case_id,
      postgresql_where=sql_text(UNREAD_WHILE_OPEN_PREDICATE),
      sqlite_where=sql_text(UNREAD_WHILE_OPEN_PREDICATE))


class Attachment(TimestampMixin, Model):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("case_messages.id"))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # The SHA-256 of the bytes as received, before cleaning (None for files stored before it was taken), and,
    # only when the complainant chose to keep the original as evidence, the name of its encrypted copy.
    original_sha256: Mapped[str | None] = mapped_column(String(64))
    original_stored_name: Mapped[str | None] = mapped_column(String(64), unique=True)

    case: Mapped[Case] = relationship(back_populates="attachments")


class RetaliationCheckIn(TimestampMixin, Model):
    """A check-in asked of a complainant who feared retaliation, once per round: while the case is open (`open_round`
    1, 2, ...: the first some days after the body acknowledged it, the next ones at an interval) or after it closed
    (`round_days`: 30 or 90 days after closure). The unique (case, round) makes each exactly once, whatever the
    number of workers."""

    __tablename__ = "retaliation_check_ins"
    __table_args__ = (
        UniqueConstraint("case_id", "round_days"),
        UniqueConstraint("case_id", "open_round", name="uq_retaliation_check_ins_case_id_open_round"),
        CheckConstraint("(round_days IS NULL) <> (open_round IS NULL)", name="one_round"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    round_days: Mapped[int | None] = mapped_column(Integer)  # after closure
    open_round: Mapped[int | None] = mapped_column(Integer)  # while the case was open
    by_sms: Mapped[bool] = mapped_column(Boolean, default=False)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    retaliation_reported: Mapped[bool | None] = mapped_column(Boolean)
    reported_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))  # the linked case it opened
    # A "yes" while the case is open waits in the body's "Retaliation reported" queue until a staff member marks it seen.
    seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    seen_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    case: Mapped[Case] = relationship(foreign_keys=[case_id])
    seen_by: Mapped[User | None] = relationship()


# The few reports of retaliation while open that no staff member has marked seen: the dashboard's count and the queue
# read them without reading the other check-ins.
UNSEEN_RETALIATION_PREDICATE = "retaliation_reported AND open_round IS NOT NULL AND seen_at IS NULL"
Index("ix_retaliation_check_ins_unseen", cast(Table, RetaliationCheckIn.__table__).c.case_id,
      postgresql_where=sql_text(UNSEEN_RETALIATION_PREDICATE), sqlite_where=sql_text(UNSEEN_RETALIATION_PREDICATE))


class RemedyStatus(enum.Enum):
    PENDING = "pending"
    IMPLEMENTED = "implemented"
    PARTLY_IMPLEMENTED = "partly_implemented"
    NOT_IMPLEMENTED = "not_implemented"

    @property
    def label(self) -> str:
        """How staff pages name the remedy's state (in English: pass it through gettext to show it)."""
        return REMEDY_LABELS[self]


REMEDY_LABELS = {
    RemedyStatus.PENDING: N_("Pending"),
    RemedyStatus.IMPLEMENTED: N_("Implemented"),
    RemedyStatus.PARTLY_IMPLEMENTED: N_("Partly implemented"),
    RemedyStatus.NOT_IMPLEMENTED: N_("Not implemented"),
}


class Recommendation(TimestampMixin, Model):
    """A recommendation to the security agency, and whether it was carried out."""

    __tablename__ = "recommendations"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[RemedyStatus] = mapped_column(
        enum_column(RemedyStatus, "remedy_status"), default=RemedyStatus.PENDING
    )
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    case: Mapped[Case] = relationship(back_populates="recommendations")


class Recusal(TimestampMixin, Model):
    """A staff member's conflict of interest: they can no longer open the case."""

    __tablename__ = "recusals"
    __table_args__ = (UniqueConstraint("case_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)


class DeadlineAlert(Model):
    """A reminder before a deadline, or its escalation after: one per case, deadline, stage and due time, so
    that every worker may look and only one sends it (the unique constraint decides), and an extended or
    moved deadline gets its own."""

    __tablename__ = "deadline_alerts"
    __table_args__ = (UniqueConstraint("case_id", "deadline", "stage", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"))
    deadline: Mapped[str] = mapped_column(String(16))  # "acknowledge" or "respond"
    stage: Mapped[str] = mapped_column(String(16))  # "reminder" or "escalation"
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship()


class StaffNotification(Model):
    """What the app tells one staff member (on their dashboard): a deadline coming up or passed. Shown while
    that deadline is unmet (reminders.current_notifications)."""

    __tablename__ = "staff_notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("deadline_alerts.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    alert: Mapped[DeadlineAlert] = relationship()


class ShareStatus(enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"  # until expires_at; "expired" is an approved share past it
    REFUSED = "refused"
    REVOKED = "revoked"


class CaseShare(TimestampMixin, Model):
    """Another body asks to read a case related to one of its own; the body holding the case (never the one who
    asked) shares a restricted view of it for a limited time, or refuses. The share lapses when it expires, is
    revoked, or either case leaves its body: the one shared, or the one it was asked for
    (cases.permissions.shared_cases)."""

    __tablename__ = "case_shares"
    __table_args__ = (
        CheckConstraint("decided_by_id IS NULL OR decided_by_id <> requested_by_id", name="four_eyes"),
        CheckConstraint("status <> 'approved' OR expires_at IS NOT NULL", name="approved_has_expiry"),
        CheckConstraint("body_id <> owner_body_id", name="other_body"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)  # the case shared
    owner_body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)  # holds it and decides
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)  # asks, and reads under the grant
    from_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))  # the asking body's related case
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[ShareStatus] = mapped_column(enum_column(ShareStatus, "share_status"),
                                                default=ShareStatus.PENDING, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)  # why it was shared, refused or revoked
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship(foreign_keys=[case_id])
    from_case: Mapped[Case] = relationship(foreign_keys=[from_case_id])
    owner_body: Mapped[Body] = relationship(foreign_keys=[owner_body_id])
    body: Mapped[Body] = relationship(foreign_keys=[body_id])
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])

    def state_at(self, now: dt.datetime) -> str:
        """pending, approved, expired, refused or revoked."""
        if self.status is ShareStatus.APPROVED and self.expires_at is not None and now >= self.expires_at:
            return "expired"
        return self.status.value



class ReferenceKey(Model):
    """What the permutation that makes case references needs (cases/references.py): one row, drawn when the first
    case needs it. Kept here, not derived from a configured secret: a rotated secret would give new cases
    references older ones already have. Whoever reads it can put references in order, as the cases' dates do."""

    __tablename__ = "reference_keys"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    key: Mapped[bytes] = mapped_column(LargeBinary(64))
    # Every number at least this wide exceeds every case id there was when the key was drawn.
    shortest_digits: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

from civicwatch.cases.search import install_search_structures  # noqa: E402  (needs the table above)

install_search_structures(cast(Table, Case.__table__))  # declared as FromClause; a mapped class's is a Table
install_search_structures(cast(Table, CaseMessage.__table__), messages=True)
