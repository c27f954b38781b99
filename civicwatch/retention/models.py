"""Retention schedules (per status, per body or deployment-wide), legal holds, and the record of each erasure.

A schedule of a body wins over the deployment-wide one (body_id NULL) for the same status. Holds are kept after
they are lifted: the list of a case's holds is its history.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civicwatch.accounts.models import User
from civicwatch.cases.models import Case, CaseStatus
from civicwatch.database import TimestampMixin, UTCDateTime, enum_column
from civicwatch.extensions import Model
from civicwatch.taxonomy.models import Body


class RetentionSchedule(TimestampMixin, Model):
    """Cases of `status` (of `body`, or of every body without a schedule of its own) lose their personal
    content `months` calendar months after they reached that status."""

    __tablename__ = "retention_schedules"
    __table_args__ = (
        UniqueConstraint("body_id", "status"),
        # UNIQUE lets NULLs repeat: one deployment-wide schedule per status is kept by this index.
        Index("ix_retention_schedules_default_status", "status", unique=True,
              postgresql_where=text("body_id IS NULL"), sqlite_where=text("body_id IS NULL")),
        CheckConstraint("months BETWEEN 1 AND 1200", name="months_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"))
    status: Mapped[CaseStatus] = mapped_column(enum_column(CaseStatus, "retention_case_status"))
    months: Mapped[int] = mapped_column(Integer)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    body: Mapped[Body | None] = relationship()


class LegalHold(TimestampMixin, Model):
    """While a hold is not lifted, nothing of the case is erased, whatever the schedules say."""

    __tablename__ = "legal_holds"
    __table_args__ = (
        # At most one hold in force per case.
        Index("ix_legal_holds_one_active_per_case", "case_id", unique=True,
              postgresql_where=text("lifted_at IS NULL"), sqlite_where=text("lifted_at IS NULL")),
        CheckConstraint("(lifted_at IS NULL) = (lifted_by_id IS NULL)", name="lifted_by_whom"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    placed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    lifted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lift_reason: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship()
    placed_by: Mapped[User] = relationship(foreign_keys=[placed_by_id])
    lifted_by: Mapped[User | None] = relationship(foreign_keys=[lifted_by_id])


class CaseErasure(Model):
    """The case's personal content was erased then, under that schedule (what is left is statistics)."""

    __tablename__ = "case_erasures"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    erased_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(32))  # the status whose schedule applied
    months: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the worker or the CLI


class PendingFileRemoval(Model):
    """A stored upload whose row an erasure deleted and whose file is still to be removed from the disk.

    Written in the erasure's transaction; removed once the file is gone. A crash after the commit leaves the row,
    so the next run (or the worker) finds and removes the file."""

    __tablename__ = "pending_file_removals"

    id: Mapped[int] = mapped_column(primary_key=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
