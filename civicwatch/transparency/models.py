"""The index behind the public statistics: a rollup of the cases, and when it was last brought up to date."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, Index, Integer, LargeBinary, String, Table, text
from sqlalchemy.orm import Mapped, mapped_column

from civicwatch.cases.models import Case, Outcome, RemedyStatus
from civicwatch.database import UTCDateTime
from civicwatch.extensions import Model, db

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
    "cases_with_recommendations",  # a case can hold many recommendations: how many cases their counts rest on
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
    """When the rollup was last brought up to date (its figures are as of then), the bodies' closing targets it
    was computed with (a changed target means a full rebuild), the early warning as published then, and the
    counts and states the publication before showed (transparency/publications.py), read only to build a cube."""

    __tablename__ = "statistics_refreshes"

    id: Mapped[int] = mapped_column(primary_key=True)
    refreshed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    targets: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    early_warning: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    published_before: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)


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
