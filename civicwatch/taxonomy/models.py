"""The deployment's vocabulary: bodies, themes, actors and the gazetteer. Editable data, not code."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civicwatch.extensions import Model
from civicwatch.i18n import current_language, display_name


class Translated:
    """Something with a stored name and names in other languages ({"fr": ..., "kri": ...})."""

    if TYPE_CHECKING:
        name: str
        names: Mapping[str, str]

    def display_name(self, language: str) -> str:
        return display_name(self.name, self.names, language)

    @property
    def local_name(self) -> str:
        """The name in the language of the page or message being written."""
        return self.display_name(current_language())


class Named(Translated):
    """A taxonomy entry shown to the public: its stored name, and its names in other languages from the
    taxonomy file."""

    names: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, server_default="{}")


@dataclass(frozen=True)
class Name(Translated):
    """A taxonomy entry's names, carried apart from its row (in published figures)."""

    name: str
    names: Mapping[str, str] = field(default_factory=dict)


class Body(Named, Model):
    __tablename__ = "bodies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Working days (the deployment's calendar: WEEKEND_DAYS and the holidays table). The statutory limits
    # (STATUTORY_ACKNOWLEDGE_DAYS, STATUTORY_RESPOND_MONTHS) cap them: a deadline is whichever comes first.
    acknowledge_days: Mapped[int] = mapped_column(Integer, default=5)
    acknowledge_days_urgent: Mapped[int] = mapped_column(Integer, default=1)
    respond_days: Mapped[int] = mapped_column(Integer, default=60)
    respond_days_urgent: Mapped[int] = mapped_column(Integer, default=20)
    # The deadlines' version: the admin form carries the one it was rendered from, so that two administrators
    # editing at once do not silently overwrite each other (cases.operations.update_body_deadlines).
    deadlines_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    target_acknowledged_share: Mapped[float] = mapped_column(Float, default=0.9)
    target_closed_within_days: Mapped[int] = mapped_column(Integer, default=90)

    def __repr__(self) -> str:
        return f"<Body {self.code}>"


class Theme(Named, Model):
    __tablename__ = "themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    covers: Mapped[str] = mapped_column(Text, default="")
    not_this: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Actor(Named, Model):
    """A security service. `terms` name it; `generic_terms` ("officer", ranks) and `place_terms` ("barracks")
    only hint at it: the classifier weighs them (civicwatch.classify.actors)."""

    __tablename__ = "actors"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    generic_terms: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    place_terms: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")


class Region(Named, Model):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    districts: Mapped[list[District]] = relationship(
        back_populates="region", order_by="District.name"
    )


class District(Named, Model):
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


class Holiday(Model):
    """A public holiday of the deployment: no deadline counts it as a working day."""

    __tablename__ = "holidays"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, unique=True)
    name: Mapped[str] = mapped_column(String(200))

    def __repr__(self) -> str:
        return f"<Holiday {self.day.isoformat()}>"
