"""The `flask --app wsgi civicwatch ...` command group. Each domain's cli module adds its commands to it;
commands.py imports those modules and registers the group on the app.

Domains above the `deliver` worker's (sms) add periodic jobs to it the same way, in WORKER_JOBS."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup, ScriptInfo
from sqlalchemy.exc import DBAPIError

from civicwatch.database import DatabaseUnreachable, check_reachable
from civicwatch.extensions import db
from civicwatch.schema_guard import database_not_made

NOT_MADE = "The database has no tables yet: run `flask --app wsgi db upgrade` first, then this command again."


class CommandGroup(AppGroup):
    """A command that fails on the database because it cannot be reached, or because `flask db upgrade` never ran,
    says so in one line, not with a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DBAPIError:
            with ctx.ensure_object(ScriptInfo).load_app().app_context():
                db.session.remove()
                try:
                    check_reachable(db.engine)
                except DatabaseUnreachable as unreachable:
                    raise click.ClickException(str(unreachable)) from None
                if database_not_made(db.engine):
                    raise click.ClickException(NOT_MADE) from None
            raise


cli = CommandGroup("civicwatch", help="CivicWatch administration commands.")


@dataclass(frozen=True)
class WorkerJob:
    """A periodic job of the `deliver` worker: `every(app)` says how often (None: not enabled in the config);
    `run()` does one round, ends its transactions and returns a line to print (empty: nothing to say)."""

    name: str
    every: Callable[[Flask], dt.timedelta | None]
    run: Callable[[], str]


WORKER_JOBS: list[WorkerJob] = []
