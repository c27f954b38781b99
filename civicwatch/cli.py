"""The `flask --app wsgi civicwatch ...` command group. Each domain's cli module adds its commands to it;
commands.py imports those modules and registers the group on the app.

Domains above the `deliver` worker's (sms) add periodic jobs to it the same way, in WORKER_JOBS."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask
from flask.cli import AppGroup

cli = AppGroup("civicwatch", help="CivicWatch administration commands.")


@dataclass(frozen=True)
class WorkerJob:
    """A periodic job of the `deliver` worker: `every(app)` says how often (None: not enabled in the config);
    `run()` does one round, ends its transactions and returns a line to print (empty: nothing to say)."""

    name: str
    every: Callable[[Flask], dt.timedelta | None]
    run: Callable[[], str]


WORKER_JOBS: list[WorkerJob] = []
