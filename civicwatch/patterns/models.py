"""Allegations of a case, in the spirit of the HURIDOCS events standard (act, victim, perpetrator, place, date)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civicwatch.cases.models import Case, Outcome
from civicwatch.database import TimestampMixin, UTCDateTime, enum_column, utcnow
from civicwatch.extensions import Model
from civicwatch.taxonomy.models import Actor, District, Region, Theme


class Allegation(TimestampMixin, Model):
    """One act complained of: a case holds one or more, each with its own finding and remedy."""

    __tablename__ = "allegations"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id"), index=True)  # the act
    victim: Mapped[str | None] = mapped_column(String(500))  # who it was done to, in words; staff only
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id"), index=True)  # the service
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    location_text: Mapped[str | None] = mapped_column(String(500))
    incident_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    finding: Mapped[Outcome | None] = mapped_column(enum_column(Outcome, "allegation_finding"))
    remedy: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    case: Mapped[Case] = relationship()
    theme: Mapped[Theme | None] = relationship()
    actor: Mapped[Actor | None] = relationship()
    region: Mapped[Region | None] = relationship()
    district: Mapped[District | None] = relationship()

    def __repr__(self) -> str:
        return f"<Allegation {self.id} of case {self.case_id}>"
