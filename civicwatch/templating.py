"""Template filters and globals shared by every page."""
from __future__ import annotations

import datetime as dt

from flask import Flask

from civicwatch.open_data import outcome_label
from civicwatch.public_urls import public_url_for


def format_datetime(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.strftime("%d %b %Y, %H:%M UTC")


def format_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.strftime("%d %b %Y")


def humanise_code(value: str | None) -> str:
    return (value or "").replace("_", " ").capitalize()


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["human"] = humanise_code
    app.jinja_env.filters["outcome_label"] = outcome_label
    app.jinja_env.globals["site_name"] = "CivicWatch"
    app.jinja_env.globals["public_url_for"] = public_url_for
    app.jinja_env.globals["has_endpoint"] = lambda name: name in app.view_functions
