"""Allegations of a case, in the spirit of the HURIDOCS events standard (act, victim, perpetrator, place, date),
and the register of subjects they name: security units, posts and officers, kept by each body."""
from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civicwatch.cases.models import Case, Outcome
from civicwatch.database import TimestampMixin, UTCDateTime, enum_column, utcnow
from civicwatch.extensions import Model
from civicwatch.taxonomy.cache import watch_for_changes
from civicwatch.taxonomy.models import Actor, Body, District, Region, Theme


class SubjectKind(enum.Enum):
    UNIT = "unit"
    POST = "post"  # a checkpoint, station or barracks
    OFFICER = "officer"  # staff only: never on a public page or in an export


class Subject(TimestampMixin, Model):
    """A unit, post or officer in a body's register."""

    __tablename__ = "subjects"
    __table_args__ = (UniqueConstraint("body_id", "kind", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)  # whose register
    kind: Mapped[SubjectKind] = mapped_column(enum_column(SubjectKind, "subject_kind"))
    name: Mapped[str] = mapped_column(String(200))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id"))  # the service it belongs to
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))  # where it is
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    body: Mapped[Body] = relationship()
    actor: Mapped[Actor | None] = relationship()
    district: Mapped[District | None] = relationship()
    aliases: Mapped[list[SubjectAlias]] = relationship(back_populates="subject", order_by="SubjectAlias.id",
                                                        cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Subject {self.id} {self.kind.value}>"


class SubjectAlias(Model):
    """Another name of a subject ("Bo Junction post", "OSD Kenema"); `words` is how the matcher compares it."""

    __tablename__ = "subject_aliases"
    __table_args__ = (UniqueConstraint("subject_id", "words"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    alias: Mapped[str] = mapped_column(String(200))
    words: Mapped[str] = mapped_column(String(200))  # lower case, words joined by one space

    subject: Mapped[Subject] = relationship(back_populates="aliases")


class LinkStatus(enum.Enum):
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class SubjectLink(TimestampMixin, Model):
    """A subject a case names: proposed from the text, or linked by staff; staff confirm or reject proposals."""

    __tablename__ = "subject_links"
    __table_args__ = (UniqueConstraint("case_id", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    status: Mapped[LinkStatus] = mapped_column(enum_column(LinkStatus, "link_status"), default=LinkStatus.PROPOSED)
    matched: Mapped[str | None] = mapped_column(String(200))  # the alias found in the text
    score: Mapped[float | None] = mapped_column(Float)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship()
    subject: Mapped[Subject] = relationship()


class Allegation(TimestampMixin, Model):
    """One act complained of: a case holds one or more, each with its own finding and remedy."""

    __tablename__ = "allegations"
    # The allegations of one act in a time window: pattern rules.
    __table_args__ = (Index("ix_allegations_theme_id_incident_date", "theme_id", "incident_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id"), index=True)  # the act
    victim: Mapped[str | None] = mapped_column(String(500))  # who it was done to, in words; staff only
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id"), index=True)  # the service
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"), index=True)  # the unit, post, officer
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    location_text: Mapped[str | None] = mapped_column(String(500))
    incident_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    # The complainant gave no date: the case's first allegation takes the day it was received, so that pattern
    # rules count it in their windows, and staff are shown that it is not a date anyone gave.
    incident_date_assumed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    finding: Mapped[Outcome | None] = mapped_column(enum_column(Outcome, "allegation_finding"))
    remedy: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    case: Mapped[Case] = relationship()
    theme: Mapped[Theme | None] = relationship()
    actor: Mapped[Actor | None] = relationship()
    subject: Mapped[Subject | None] = relationship()
    region: Mapped[Region | None] = relationship()
    district: Mapped[District | None] = relationship()

    def __repr__(self) -> str:
        return f"<Allegation {self.id} of case {self.case_id}>"


class RelationKind(enum.Enum):
    DUPLICATE = "duplicate"  # the same incident reported again
    RELATED = "related"  # the same subject, place and time


class RelationStatus(enum.Enum):
    PROPOSED = "proposed"
    LINKED = "linked"
    DISMISSED = "dismissed"


class CaseRelation(TimestampMixin, Model):
    """A newer case (`case_id`) proposed as related to, or a duplicate of, an older one. Each side is shown only
    to those who may open it: another body's case is only "a related case exists at <body>", and a restricted
    view of it once that body shares it (cases.models.CaseShare)."""

    __tablename__ = "case_relations"
    __table_args__ = (
        UniqueConstraint("case_id", "related_case_id"),
        CheckConstraint("case_id <> related_case_id", name="not_itself"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    related_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[RelationKind] = mapped_column(enum_column(RelationKind, "relation_kind"))
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)  # codes: same_place, same_subject, ...
    # Each case's body decides for its own case: `status` as seen from `case_id`, `related_status` from
    # `related_case_id` (one decision sets both when one body holds both cases).
    status: Mapped[RelationStatus] = mapped_column(enum_column(RelationStatus, "relation_status"),
                                                   default=RelationStatus.PROPOSED)
    related_status: Mapped[RelationStatus] = mapped_column(
        enum_column(RelationStatus, "related_relation_status"), default=RelationStatus.PROPOSED,
        server_default=RelationStatus.PROPOSED.value)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # the latest decision, either side
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship(foreign_keys=[case_id])
    related_case: Mapped[Case] = relationship(foreign_keys=[related_case_id])

    def status_from(self, case_id: int) -> RelationStatus:
        """The decision as seen from the page of `case_id` (one of the two cases)."""
        return self.status if case_id == self.case_id else self.related_status


class PendingRelationProposal(Model):
    """A new case whose related and duplicate cases are still to be proposed: the web or SMS request that routed it
    only queues it (one row per case), and a `deliver` worker proposes them (patterns.sweep), deleting the row in
    the same transaction, so each case is done exactly once however many workers run."""

    __tablename__ = "pending_relation_proposals"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class AlertStatus(enum.Enum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    REFERRED = "referred"
    CLOSED = "closed"


alert_bodies = Table(
    "pattern_alert_bodies", Model.metadata,
    Column("alert_id", ForeignKey("pattern_alerts.id"), primary_key=True),
    Column("body_id", ForeignKey("bodies.id"), primary_key=True, index=True),
)


class PatternAlert(TimestampMixin, Model):
    """A cluster above a threshold (PATTERN_RULES), raised to the bodies whose cases or register it concerns."""

    __tablename__ = "pattern_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(64), index=True)
    key: Mapped[str] = mapped_column(String(64), index=True)  # what clusters: "subject:12", "district:3"
    status: Mapped[AlertStatus] = mapped_column(enum_column(AlertStatus, "alert_status"), default=AlertStatus.OPEN,
                                                index=True)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id"))
    count: Mapped[int] = mapped_column(Integer)
    baseline: Mapped[float | None] = mapped_column(Float)  # place rules: the trailing average
    window_start: Mapped[dt.date] = mapped_column(Date)
    window_end: Mapped[dt.date] = mapped_column(Date)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    subject: Mapped[Subject | None] = relationship()
    district: Mapped[District | None] = relationship()
    theme: Mapped[Theme | None] = relationship()
    bodies: Mapped[list[Body]] = relationship(secondary=alert_bodies, order_by="Body.name")
    evidence: Mapped[list[AlertEvidence]] = relationship(back_populates="alert", order_by="AlertEvidence.id",
                                                         cascade="all, delete-orphan")


class AlertEvidence(Model):
    """A case (and the allegation, for subject rules) that makes up an alert."""

    __tablename__ = "pattern_alert_evidence"
    __table_args__ = (UniqueConstraint("alert_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("pattern_alerts.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    allegation_id: Mapped[int | None] = mapped_column(ForeignKey("allegations.id"))

    alert: Mapped[PatternAlert] = relationship(back_populates="evidence")
    case: Mapped[Case] = relationship()


# New cases are matched against the registers through the taxonomy cache: a change to a subject or an alias must
# reach every process's next case.
watch_for_changes(Subject, SubjectAlias)
