"""The deployment's vocabulary: bodies, themes, actors and the gazetteer. Editable data, not code."""
from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civicwatch.extensions import Model


class Body(Model):
    __tablename__ = "bodies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    acknowledge_hours: Mapped[int] = mapped_column(Integer, default=72)
    acknowledge_hours_urgent: Mapped[int] = mapped_column(Integer, default=24)
    respond_days: Mapped[int] = mapped_column(Integer, default=90)
    respond_days_urgent: Mapped[int] = mapped_column(Integer, default=30)
    target_acknowledged_share: Mapped[float] = mapped_column(Float, default=0.9)
    target_closed_within_days: Mapped[int] = mapped_column(Integer, default=90)

    def __repr__(self) -> str:
        return f"<Body {self.code}>"


class Theme(Model):
    __tablename__ = "themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    covers: Mapped[str] = mapped_column(Text, default="")
    not_this: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Actor(Model):
    """A security service. `terms` name it; `generic_terms` ("officer", ranks) and `place_terms` ("barracks")
    only hint at it: the classifier weighs them (civicwatch.classify.actors)."""

    __tablename__ = "actors"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    generic_terms: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    place_terms: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")


class Region(Model):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    districts: Mapped[list[District]] = relationship(
        back_populates="region", order_by="District.name"
    )


class District(Model):
    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    region: Mapped[Region] = relationship(back_populates="districts")


class Setting(Model):
    """Deployment settings that admins change at run time (thresholds and the like)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
