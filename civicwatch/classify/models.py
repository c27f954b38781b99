"""Labelled examples that staff produce by correcting the classifier; the next training run uses them."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civicwatch.database import TimestampMixin, UTCDateTime
from civicwatch.extensions import Model


class LabelledExample(TimestampMixin, Model):
    __tablename__ = "labelled_examples"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    field: Mapped[str] = mapped_column(String(32))  # theme, actor, region, district
    label: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    used_in_model: Mapped[str | None] = mapped_column(String(64))
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
