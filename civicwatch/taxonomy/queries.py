"""Reading the taxonomy and settings."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, TypeVar

from flask_babel import gettext
from sqlalchemy import select

from civicwatch.errors import DomainError
from civicwatch.extensions import db
from civicwatch.i18n import collation_key, current_language, display_name
from civicwatch.taxonomy.cache import cached
from civicwatch.taxonomy.models import Actor, Body, District, Holiday, Region, Setting, Theme

# The taxonomy tables that have a unique `code`.
Coded = TypeVar("Coded", Body, Theme, Actor, Region, District)


def get_setting(key: str, default: Any = None) -> Any:
    row = db.session.get(Setting, key)
    return default if row is None else row.value


def all_bodies(active_only: bool = True) -> list[Body]:
    query = select(Body).order_by(Body.name)
    if active_only:
        query = query.where(Body.active.is_(True))
    return list(db.session.scalars(query))


def all_themes() -> list[Theme]:
    return list(db.session.scalars(select(Theme).where(Theme.active.is_(True)).order_by(Theme.name)))


def all_actors() -> list[Actor]:
    return list(db.session.scalars(select(Actor).order_by(Actor.name)))


def all_regions() -> list[Region]:
    return list(db.session.scalars(select(Region).order_by(Region.name)))


def all_districts() -> list[District]:
    return list(db.session.scalars(select(District).order_by(District.name)))


def name_choices(rows: Iterable[Coded], by_id: bool = False) -> list[tuple[str, str]]:
    """A select field's options for taxonomy entries: (code, or id with `by_id`; the name in the page's
    language), in the order of those names. The value posted stays the code or id, whatever language the page
    speaks."""
    language = current_language()
    options = [(str(row.id) if by_id else row.code, row.display_name(language)) for row in rows]
    return sorted(options, key=lambda option: collation_key(option[1]))


def require_district_in_region(district: District | None, region: Region | None) -> None:
    """Refuse a place whose district is not in its region (named in the reader's language)."""
    if district is not None and region is not None and district.region_id != region.id:
        raise DomainError(gettext("%(district)s is not in %(region)s.", district=district.local_name,
                                  region=region.local_name))


def recorded_body_name(name: str, language: str) -> str:
    """A body named in a case event as it was called then (its stored name), in `language` while a body still
    has that stored name."""
    names = cached("body_names", lambda: {body.name: dict(body.names) for body in db.session.scalars(select(Body))})
    return display_name(name, names.get(name), language)


def by_code(model: type[Coded], code: str | None) -> Coded | None:
    if not code:
        return None
    return db.session.scalar(select(model).where(model.code == code))


def holidays_from(day: dt.date) -> list[Holiday]:
    """The holidays on or after `day`, in date order."""
    return list(db.session.scalars(select(Holiday).where(Holiday.day >= day).order_by(Holiday.day)))
