"""Published, redacted answers.

The case's original text is never changed: a publication keeps what staff wrote (`*_source`, staff only)
and the redacted text the public reads (`summary`, `response`).
"""
from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import DDL, JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civicwatch.accounts.models import User
from civicwatch.cases.models import Case, Outcome
from civicwatch.database import TimestampMixin, UTCDateTime, enum_column
from civicwatch.extensions import Model
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
