"""API keys for Open311 clients, and the tokens those clients get back for the requests they send."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civicwatch.accounts.models import User
from civicwatch.cases.models import Case
from civicwatch.database import TimestampMixin, UTCDateTime
from civicwatch.extensions import Model


class ApiKey(TimestampMixin, Model):
    """A key an administrator issued to an Open311 client. Only a keyed hash is stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # the first characters, to tell keys apart in lists
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # None: issued before keys had an end
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[User | None] = relationship()

    @property
    def active(self) -> bool:
        """Not revoked (see `expired` for its end)."""
        return self.revoked_at is None

    def expired(self, now: dt.datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


class Open311Token(TimestampMixin, Model):
    """The token an Open311 client gets back for a request it created (GeoReport v2 `tokens/{token}`)."""

    __tablename__ = "open311_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"), index=True)
    service_code: Mapped[str] = mapped_column(String(64))

    case: Mapped[Case] = relationship()
