"""Published, redacted answers; API keys for Open311 clients; the index behind the public statistics.

The case's original text is never changed: a publication keeps what staff wrote (`*_source`, staff only)
and the redacted text the public reads (`summary`, `response`).
"""
from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import DDL, JSON, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civicwatch.accounts.models import User
from civicwatch.cases.models import Case, Outcome, RemedyStatus
from civicwatch.database import TimestampMixin, UTCDateTime, enum_column
from civicwatch.extensions import Model, db
from civicwatch.taxonomy.models import Body, Theme


class PublicationStatus(enum.Enum):
    DRAFT = "draft"
    AWAITING_APPROVAL = "awaiting_approval"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"


# Statuses whose public row can be read by anyone (a withdrawn answer leaves its reason, not its text).
PUBLIC_STATUSES = (PublicationStatus.PUBLISHED, PublicationStatus.WITHDRAWN)


class Publication(TimestampMixin, Model):
    """One version of a case's public answer. Only the author edits a draft; another person approves it."""

    __tablename__ = "publications"
    __table_args__ = (
        UniqueConstraint("case_id", "version"),
        # At most one live answer per case: approving a new version supersedes the old one.
        Index("ix_publications_one_live_per_case", "case_id", unique=True,
              postgresql_where=text("status = 'published'"), sqlite_where=text("status = 'published'")),
        Index("ix_publications_status_published_at", "status", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    # What the public reads: the source text with the accepted redactions applied.
    summary: Mapped[str] = mapped_column(Text)
    response: Mapped[str] = mapped_column(Text)
    # What staff wrote, before redaction. Never shown outside the staff pages.
    summary_source: Mapped[str] = mapped_column(Text, default="")
    response_source: Mapped[str] = mapped_column(Text, default="")
    # Staff decisions on the assistant's proposals: [{field, start, end, label, replacement, hide}], and
    # extra words or phrases staff asked to hide wherever they appear.
    redactions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    extra_terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[PublicationStatus] = mapped_column(
        enum_column(PublicationStatus, "publication_status"), default=PublicationStatus.DRAFT
    )
    # Facts of the answer, fixed at approval so a later appeal to another body does not rewrite history.
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"), index=True)
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id"), index=True)
    outcome: Mapped[Outcome | None] = mapped_column(enum_column(Outcome, "publication_outcome"))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    review_note: Mapped[str | None] = mapped_column(Text)  # why an approver sent the draft back
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdraw_reason: Mapped[str | None] = mapped_column(String(1000))
    # Optimistic locking: approving a draft its author changed a moment ago must fail, not pass.
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": row_version}

    case: Mapped[Case] = relationship()
    body: Mapped[Body | None] = relationship()
    theme: Mapped[Theme | None] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    approver: Mapped[User | None] = relationship(foreign_keys=[approver_id])
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id])

    @property
    def editable(self) -> bool:
        return self.status is PublicationStatus.DRAFT

    def __repr__(self) -> str:
        return f"<Publication case={self.case_id} v{self.version} {self.status.value}>"


# Full-text search of published answers on PostgreSQL (SQLite searches with LIKE). The Alembic migration
# must run `publication_search_ddl(dialect)` after creating the table, as `db.create_all()` does here.
PUBLICATION_DOCUMENT = "to_tsvector('english', coalesce(summary, '') || ' ' || coalesce(response, ''))"
PUBLICATION_SEARCH_DDL = (
    f"CREATE INDEX ix_publications_search ON publications USING gin ({PUBLICATION_DOCUMENT})",
)


def publication_search_ddl(dialect: str) -> tuple[str, ...]:
    return PUBLICATION_SEARCH_DDL if dialect == "postgresql" else ()


for _statement in PUBLICATION_SEARCH_DDL:
    event.listen(Publication.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))


class ApiKey(TimestampMixin, Model):
    """A key an administrator issued to an Open311 client. Only a keyed hash is stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # the first characters, to tell keys apart in lists
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[User | None] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class Open311Token(TimestampMixin, Model):
    """The token an Open311 client gets back for a request it created (GeoReport v2 `tokens/{token}`)."""

    __tablename__ = "open311_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"), index=True)
    service_code: Mapped[str] = mapped_column(String(64))

    case: Mapped[Case] = relationship()


# ---------------------------------------------------------------- the statistics rollup
#
# Derived data, rebuilt from the cases at any time (`flask civicwatch statistics refresh --full`).
# One row per month of receipt, body, theme and region, with counts that add up across rows; the public
# pages read a few hundred rows instead of every case of the period. Counts that depend on the time
# (is an unacknowledged case overdue yet?) are as of the refresh; `rollup.py` says when a month is redone.

CELL_MEASURES: tuple[str, ...] = (
    "received", "in_progress", "answered", "closed_answered", "rejected", "referred", "withdrawn",
    "acknowledged", "ack_on_time", "ack_overdue", "close_due", "close_on_time", "by_hand", "ratings", "rating_sum",
    *(f"rated_{score}" for score in (1, 2, 3, 4, 5)),
    *(f"outcome_{outcome.value}" for outcome in Outcome),
    *(f"rec_{status.value}" for status in RemedyStatus),
)

statistics_cells = Table(
    "statistics_cells", db.metadata,
    Column("id", Integer, primary_key=True),
    Column("month", String(7), nullable=False),  # '2026-03', the month the case was received (UTC)
    Column("body_id", Integer),
    Column("theme_id", Integer),
    Column("region_id", Integer),
    *(Column(name, Integer, nullable=False, default=0) for name in CELL_MEASURES),
    Index("ix_statistics_cells_month", "month", "body_id"),
)

# How long cases took, per month of receipt and body: kind 'acknowledge' counts whole hours from receipt
# to acknowledgement, kind 'close' whole days from receipt to closing. Medians come from these.
statistics_durations = Table(
    "statistics_durations", db.metadata,
    Column("id", Integer, primary_key=True),
    Column("month", String(7), nullable=False),
    Column("body_id", Integer),
    Column("kind", String(12), nullable=False),
    Column("bucket", Integer, nullable=False),
    Column("cases", Integer, nullable=False),
    Index("ix_statistics_durations_month", "month", "body_id", "kind"),
)


class StatisticsRefresh(Model):
    """When the rollup was last brought up to date (its figures are as of then), and the bodies' closing
    targets it was computed with (a changed target means a full rebuild)."""

    __tablename__ = "statistics_refreshes"

    id: Mapped[int] = mapped_column(primary_key=True)
    refreshed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    targets: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)


# Indexes on cases for the statistics (PostgreSQL answers from the index without reading the table rows):
# - which months changed since the last refresh;
# - open cases received in a span of time: which months saw a case pass its closing target;
# - cases of one theme or one region in a period, for medians under those filters.
# (Which months saw a case pass its acknowledgement deadline uses the existing acknowledge_due_at index.)
DURATION_COLUMNS = ["body_id", "acknowledged_at", "closed_at"]
Index("ix_cases_updated_at", Case.__table__.c.updated_at)
Index("ix_cases_open_created_at", Case.__table__.c.created_at,
      postgresql_where=text("closed_at IS NULL"), sqlite_where=text("closed_at IS NULL"),
      postgresql_include=["body_id"])
Index("ix_cases_theme_created_at", Case.__table__.c.theme_id, Case.__table__.c.created_at,
      postgresql_include=[*DURATION_COLUMNS, "region_id"])
Index("ix_cases_region_created_at", Case.__table__.c.region_id, Case.__table__.c.created_at,
      postgresql_include=[*DURATION_COLUMNS, "theme_id"])
