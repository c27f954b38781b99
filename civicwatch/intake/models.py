"""Intake's own tables: wrong receipt codes per client, so that guessing slows down and then stops; and the
idempotency keys of submitted forms, so that a retried submission finds its case instead of making another; and
web reports queued for a worker to file, with the workers that file them."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civicwatch.cases.models import Case
from civicwatch.database import UTCDateTime
from civicwatch.extensions import Model


class ReceiptLookupFailure(Model):
    """Failed /track lookups from one client. In the database, so every app instance sees the same count.

    The client is a keyed hash of its network address (an IPv6 /64), never the address itself.
    """

    __tablename__ = "receipt_lookup_failures"

    client_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    blocked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)


class SubmissionKey(Model):
    """A complaint sent with an idempotency key (the report form's hidden token, an Open311 client's key).

    A retry with the same key finds this row and answers with the same case; the unique key_hash makes two
    concurrent retries unable to both store one. Only a keyed hash of the key is kept. The receipt (reference,
    code) is kept encrypted under a key derived from the idempotency key itself, which the database never holds,
    for a short window (`receipt_until`), then erased.
    """

    __tablename__ = "submission_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    receipt_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    receipt_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)

    case: Mapped[Case] = relationship()


class QueuedReport(Model):
    """A web report as its form sent it, acknowledged and waiting for a worker to file it as a case (intake.queue).

    The request writes only this row and commits before it answers, so the report is durable when its receipt is
    shown. The worker files it and, in the same transaction, empties the row and sets `filed_at`: the row stays a
    while as a tombstone whose unique key refuses a retry of the form racing the filing (intake.queue). A report
    that keeps failing stays here, counted in `attempts`, and is never dropped: its sender holds a receipt.
    """

    __tablename__ = "web_report_queue"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The form key's hash, as submission_keys has it: a retried form finds its report here until it is filed.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The receipt code's hash given to the case when filed: the follow-up page tells a waiting report's sender so.
    receipt_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # What the form said (content key), and the contact details apart (identity key; None when none were given).
    payload_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    contact_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The receipt sealed under the form key, as submission_keys keeps it: moved there when the report is filed.
    receipt_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The sender said someone is hurt, held or threatened right now: filed before the others when a backlog forms
    # (as the case's own `urgent`, not secret: the words and the sender are).
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[str | None] = mapped_column(String(200))
    # Set when the report is filed (its words and contact details are erased then); None while it waits.
    filed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        # The worker's claim reads the waiting reports alone, however many tombstones there are.
        Index("ix_web_report_queue_waiting", "urgent", "id", postgresql_where=text("filed_at IS NULL"),
              sqlite_where=text("filed_at IS NULL")),
        Index("ix_web_report_queue_filed_at", "filed_at"),
    )


class FilingWorker(Model):
    """A long-running `deliver` worker, with when it last said it runs (intake.filing_workers). While one
    has been seen lately, web reports without files are queued for it (WEB_REPORTS_QUEUED "auto", the default);
    otherwise the request files them itself. A worker that stops cleanly takes its row away; one killed leaves it to
    age."""

    __tablename__ = "filing_workers"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)  # host and process id, as the worker prints them
    seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
