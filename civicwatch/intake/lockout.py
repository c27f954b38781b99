"""Slowing down and then locking out clients that enter wrong receipt codes.

A few typing mistakes cost nothing; after TRACK_SLOWDOWN_AFTER failures each further try must wait,
the wait doubling every time; after TRACK_LOCKOUT_AFTER failures the client is locked out for
TRACK_LOCKOUT_MINUTES. Failures are forgotten TRACK_FAILURE_WINDOW_MINUTES after the first one.
"""
from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import Insert, delete, or_, select

from civicwatch import clients
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.intake.models import ReceiptLookupFailure


def client_key(address: str | None) -> str:
    """A keyed hash of the client's network: one IPv4 address, or the /64 an IPv6 user controls."""
    return clients.client_key("track-client", address)


def lookup_wait(client: str, now: dt.datetime | None = None) -> dt.timedelta | None:
    """How long this client must wait before the next receipt code is even checked; None: go ahead."""
    now = now or utcnow()
    row = db.session.get(ReceiptLookupFailure, client, populate_existing=True)
    if row is None or row.blocked_until is None or row.blocked_until <= now:
        return None
    return row.blocked_until - now


def register_lookup_failure(client: str, now: dt.datetime | None = None) -> dt.timedelta | None:
    """Count one wrong code; returns the wait now imposed on the client, if any. Flushes only."""
    now = now or utcnow()
    config = current_app.config
    window = dt.timedelta(minutes=config["TRACK_FAILURE_WINDOW_MINUTES"])
    _forget_old_failures(now, window)
    row = _locked_row(client, now)
    blocked = row.blocked_until is not None and row.blocked_until > now
    if row.first_failure_at <= now - window and not blocked:
        row.failures = 0
        row.first_failure_at = now
    row.failures += 1
    wait = failure_wait(row.failures)
    row.blocked_until = now + wait if wait else None
    db.session.flush()
    return wait


def failure_wait(failures: int) -> dt.timedelta | None:
    """The wait after this many failures in the window (a pure function of the configuration)."""
    config = current_app.config
    if failures >= config["TRACK_LOCKOUT_AFTER"]:
        return dt.timedelta(minutes=config["TRACK_LOCKOUT_MINUTES"])
    if failures >= config["TRACK_SLOWDOWN_AFTER"]:
        doublings = failures - config["TRACK_SLOWDOWN_AFTER"]
        return dt.timedelta(seconds=config["TRACK_SLOWDOWN_SECONDS"] * 2**doublings)
    return None


def _locked_row(client: str, now: dt.datetime) -> ReceiptLookupFailure:
    """The client's row, created if missing, locked (PostgreSQL) so that parallel failures all count."""
    dialect = db.session.get_bind().dialect.name
    values = {"client_hash": client, "failures": 0, "first_failure_at": now}
    claim: Insert
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert
        claim = postgresql_insert(ReceiptLookupFailure).values(**values).on_conflict_do_nothing()
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert
        claim = sqlite_insert(ReceiptLookupFailure).values(**values).on_conflict_do_nothing()
    db.session.execute(claim)
    query = (select(ReceiptLookupFailure).where(ReceiptLookupFailure.client_hash == client)
             .with_for_update().execution_options(populate_existing=True))
    return db.session.scalars(query).one()


def _forget_old_failures(now: dt.datetime, window: dt.timedelta) -> None:
    old = now - window
    db.session.execute(
        delete(ReceiptLookupFailure)
        .where(ReceiptLookupFailure.first_failure_at <= old)
        .where(or_(ReceiptLookupFailure.blocked_until.is_(None), ReceiptLookupFailure.blocked_until <= now))
        .execution_options(synchronize_session=False)
    )
