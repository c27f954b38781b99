"""Disclosure requests: a staff member asks, with a reason, to see a complainant's identity or the sealed
original of a file they sent; a custodian (never the one who asked) approves it for a limited time or refuses it."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civicwatch.accounts.models import User
from civicwatch.cases.models import Attachment, Case
from civicwatch.database import TimestampMixin, UTCDateTime, enum_column
from civicwatch.extensions import Model


class DisclosureScope(enum.Enum):
    WITHIN_BODY = "within_body"  # the body handling the case needs to reach or identify the complainant
    OUTSIDE_BODY = "outside_body"  # shared beyond the body (a court, a prosecutor): the complainant is told first


class DisclosureStatus(enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"  # a grant until expires_at; "expired" is an approved request past it
    REFUSED = "refused"


class DisclosureRequest(TimestampMixin, Model):
    __tablename__ = "disclosure_requests"
    __table_args__ = (
        CheckConstraint("decided_by_id IS NULL OR decided_by_id <> requester_id", name="four_eyes"),
        CheckConstraint("status <> 'approved' OR expires_at IS NOT NULL", name="approved_has_expiry"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    # None: the complainant's identity. Set: the sealed original of this file of the case.
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    scope: Mapped[DisclosureScope] = mapped_column(enum_column(DisclosureScope, "disclosure_scope"))
    reason: Mapped[str] = mapped_column(Text)
    recipient: Mapped[str | None] = mapped_column(String(200))  # who outside the body, for OUTSIDE_BODY
    status: Mapped[DisclosureStatus] = mapped_column(
        enum_column(DisclosureStatus, "disclosure_status"), default=DisclosureStatus.PENDING, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Outside the body: when the complainant was told, or the custodian's record of the law that forbids it.
    complainant_told_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    legal_bar: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship()
    attachment: Mapped[Attachment | None] = relationship()
    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    def active_at(self, now: dt.datetime) -> bool:
        return self.status is DisclosureStatus.APPROVED and self.expires_at is not None and now < self.expires_at

    def state_at(self, now: dt.datetime) -> str:
        """pending, approved, expired or refused."""
        if self.status is DisclosureStatus.APPROVED and not self.active_at(now):
            return "expired"
        return self.status.value
