"""Intake's own tables: wrong receipt codes per client, so that guessing slows down and then stops; and the
idempotency keys of submitted forms, so that a retried submission finds its case instead of making another."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
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
