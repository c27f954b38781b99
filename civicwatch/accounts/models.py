"""Staff users. There is no public sign-up: admins create accounts."""
from __future__ import annotations

import datetime as dt
import enum

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civicwatch.database import TimestampMixin, UTCDateTime, enum_column
from civicwatch.extensions import Model
from civicwatch.taxonomy.models import Body


class Role(enum.Enum):
    ADMIN = "admin"
    TRIAGE = "triage"
    INVESTIGATOR = "investigator"
    AUDITOR = "auditor"


class User(UserMixin, TimestampMixin, Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "(role = 'investigator') = (body_id IS NOT NULL)", name="investigator_has_body"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    totp_secret_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Changing this invalidates every session of the user (logout everywhere, deactivation).
    session_token: Mapped[str] = mapped_column(String(64))

    body: Mapped[Body | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"
