"""Template filters and globals shared by every page."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from flask import Flask
from flask_babel import format_date as babel_format_date
from flask_babel import format_datetime as babel_format_datetime
from flask_babel import format_number, get_locale

from civicwatch.database import deployment_date, deployment_zone
from civicwatch.i18n import DEFAULT_LANGUAGE, current_language, display_name
from civicwatch.open_data import outcome_words
from civicwatch.public_urls import public_url_for

# One pattern in every language (English reads as before), with the month's name in the page's language.
DATETIME_PATTERN = "dd MMM y, HH:mm 'UTC'"
LOCAL_DATETIME_PATTERN = "dd MMM y, HH:mm ZZZZ"  # the offset from UTC, in the page's language
DATE_PATTERN = "dd MMM y"


def format_datetime(value: dt.datetime | None) -> str:
    """A moment as the deployment's clocks show it (TIMEZONE), with the zone: "11 Mar 2026, 22:00 GMT-04:00"; on
    UTC, "12 Mar 2026, 02:00 UTC"."""
    if value is None:
        return ""
    zone = deployment_zone()
    if zone == "UTC":
        return babel_format_datetime(value, DATETIME_PATTERN)
    moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return babel_dates.format_datetime(moment, LOCAL_DATETIME_PATTERN, tzinfo=ZoneInfo(zone),
                                       locale=get_locale() or DEFAULT_LANGUAGE)


def format_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        # A moment's day as the deployment counts it (deadlines end at its midnight), not UTC's.
        value = deployment_date(value if value.tzinfo else value.replace(tzinfo=dt.UTC))
    # A stored date is already the deployment's day: no time zone shift.
    return babel_format_date(value, DATE_PATTERN)


def local_name(value: Any, names: Mapping[str, str] | None = None) -> str:
    """A taxonomy entry's name in the page's language, else its stored name: `entry|local_name` for a row
    (a Translated: a taxonomy row or a Name), `name|local_name(names)` for a name carried with its names."""
    if value is None:
        return ""
    if isinstance(value, str):
        return display_name(value, names, current_language())
    return str(value.local_name)


def humanise_code(value: str | None) -> str:
    return (value or "").replace("_", " ").capitalize()


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["human"] = humanise_code
    app.jinja_env.filters["number"] = format_number  # 1,234 in English, 1 234 in French
    app.jinja_env.filters["outcome_label"] = outcome_words
    app.jinja_env.filters["local_name"] = local_name
    app.jinja_env.globals["site_name"] = "CivicWatch"
    app.jinja_env.globals["public_url_for"] = public_url_for
    app.jinja_env.globals["has_endpoint"] = lambda name: name in app.view_functions
