"""Intake's own table: wrong receipt codes per client, so that guessing slows down and then stops."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

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
