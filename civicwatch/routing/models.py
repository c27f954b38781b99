"""Routing rules: (theme, optional actor, optional region) -> body, first match by priority wins.

Every decision about a case's body is also kept as a RoutingDecision row: which body the rules chose on
arrival, and when staff moved a case by hand. The override rate of a body comes from these rows.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civicwatch.database import UTCDateTime, utcnow
from civicwatch.extensions import Model
from civicwatch.taxonomy.cache import watch_for_changes
from civicwatch.taxonomy.models import Actor, Body, Region, Theme


class RoutingRule(Model):
    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    priority: Mapped[int] = mapped_column(Integer, index=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id"))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The edit form carries the version it was rendered from, so that two administrators editing one rule at once
    # do not silently overwrite each other (rule_operations.update_rule).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    theme: Mapped[Theme] = relationship()
    actor: Mapped[Actor | None] = relationship()
    region: Mapped[Region | None] = relationship()
    body: Mapped[Body] = relationship()



# Rules are read through the taxonomy cache: editing one must invalidate it like a taxonomy change.
watch_for_changes(RoutingRule)

class DecisionKind:
    """How a case's body was decided (values of RoutingDecision.kind)."""

    AUTOMATIC = "automatic"  # the classifier and the rules, on arrival (to_body NULL: left in triage)
    CORRECTED = "corrected"  # the rules again, after staff corrected the theme, actor or place
    BY_HAND = "by_hand"  # staff chose the body, with a reason


class RoutingDecision(Model):
    __tablename__ = "routing_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    from_body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"), index=True)
    to_body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    model_version: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None] = mapped_column(Float)
