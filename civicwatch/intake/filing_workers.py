"""Whether a web report is queued for a worker (intake.queue) or filed by its own request.

WEB_REPORTS_QUEUED is True (always queued), False (always filed by the request) or "auto", the default: queued
while a long-running `deliver` worker has said lately that it runs, filed by the request otherwise. A queued report
is out of the staff's sight until a worker files it, so it is queued only where one is known to run; the request
then does a quarter of the work and the worker the rest, out of the sender's wait.

Each long-running worker writes its row every WORKER_PRESENT_EVERY, and takes it away when it stops cleanly. A web
process reads the rows at most every PRESENCE_READ_EVERY (its reports never wait on that read more often), and
counts a worker as gone WORKER_GONE_AFTER after its last word: a worker killed then leaves, at most, the reports
of those 30 seconds and the 5 after (what a process read) queued for the next one (they are stored and
acknowledged; /healthz says "stalled" if they wait 5 minutes).
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Literal, cast

from flask import Flask, current_app
from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.exc import SQLAlchemyError

from civicwatch.database import rollback_quietly, upsert_insert, utcnow
from civicwatch.extensions import db
from civicwatch.intake.models import FilingWorker

log = logging.getLogger(__name__)

AUTO: Literal["auto"] = "auto"
WORKER_PRESENT_EVERY = dt.timedelta(seconds=10)
WORKER_GONE_AFTER = dt.timedelta(seconds=30)
PRESENCE_READ_EVERY = dt.timedelta(seconds=5)
# Rows of workers killed long ago are deleted by the next worker that says it runs.
FORGOTTEN_AFTER = dt.timedelta(days=1)

_APP_KEY = "civicwatch.filing_workers"
_TABLE = cast(Table, FilingWorker.__table__)
_SEEN_SINCE = select(_TABLE.c.name).where(_TABLE.c.seen_at >= bindparam("since")).limit(1)


@dataclass(frozen=True)
class _Reading:
    read_at: dt.datetime
    present: bool


def reports_queued_now(now: dt.datetime | None = None) -> bool:
    """Whether a web report without files that comes now is queued for a worker (see the module's docstring).
    Never raises: with the database unreachable it says no, and the request's own filing reports the failure."""
    setting = current_app.config["WEB_REPORTS_QUEUED"]
    if setting != AUTO:
        return bool(setting)
    now = now or utcnow()
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    reading: _Reading | None = app.extensions.get(_APP_KEY)
    # Read again once stale, or when the clock went back (a test's, or the system's set right).
    if reading is None or not reading.read_at <= now < reading.read_at + PRESENCE_READ_EVERY:
        try:
            reading = _Reading(now, _a_worker_seen_since(now - WORKER_GONE_AFTER))
        except SQLAlchemyError as error:
            log.warning("could not read whether a worker files web reports (%s); this one is filed at once",
                        type(error).__name__)
            return False
        app.extensions[_APP_KEY] = reading
    return reading.present


def _a_worker_seen_since(since: dt.datetime) -> bool:
    # On a connection of its own: a queued report's request begins no transaction on its session.
    with db.engine.connect() as connection:
        return connection.scalar(_SEEN_SINCE, {"since": since}) is not None


def note_worker_present(name: str, now: dt.datetime | None = None) -> None:
    """A long-running worker says it runs (and files queued web reports). Commits."""
    now = now or utcnow()
    statement = upsert_insert(db.session)(FilingWorker).values(name=name, seen_at=now)
    db.session.execute(statement.on_conflict_do_update(index_elements=["name"], set_={"seen_at": now}))
    db.session.execute(delete(FilingWorker).where(FilingWorker.seen_at < now - FORGOTTEN_AFTER))
    db.session.commit()


def forget_worker(name: str) -> None:
    """A worker stopping cleanly: web reports are filed by their requests again, unless another worker runs.
    Commits; never raises (the worker is stopping, perhaps because the database went away: its row then ages)."""
    rollback_quietly(db.session)  # whatever a round that failed left open
    try:
        db.session.execute(delete(FilingWorker).where(FilingWorker.name == name))
        db.session.commit()
    except SQLAlchemyError as error:
        rollback_quietly(db.session)
        log.warning("could not say this worker stopped (%s); web reports are queued %s more seconds at most",
                    type(error).__name__, int(WORKER_GONE_AFTER.total_seconds()))
