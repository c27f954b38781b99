"""Routing rules: (theme, optional actor, optional region) -> body, first match by priority wins."""
from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civicwatch.extensions import db
from civicwatch.taxonomy.models import Actor, Body, Region, Theme


class RoutingRule(db.Model):
    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    priority: Mapped[int] = mapped_column(Integer, index=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id"))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    theme: Mapped[Theme] = relationship()
    actor: Mapped[Actor | None] = relationship()
    region: Mapped[Region | None] = relationship()
    body: Mapped[Body] = relationship()
