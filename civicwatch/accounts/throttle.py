"""Backoff for wrong passwords, counted in the database so that every app instance sees the same count.

A sign-in is counted under two keys. The client's key (its network and the email typed) slows and then
blocks one guesser without touching the real user, who signs in from elsewhere: a few mistakes are free,
then each try waits LOGIN_SLOWDOWN_SECONDS, doubling, and after LOGIN_LOCKOUT_AFTER failures the client
is blocked for LOGIN_LOCKOUT_MINUTES. The account's key counts failures from everywhere and pauses every
sign-in to the account only past LOGIN_ACCOUNT_CEILING failures, which takes many networks at once; the pause
spares the networks the account signed in from in the last LOGIN_KNOWN_NETWORK_DAYS, so that such a flood
cannot keep the owner out from where they usually work.
Unknown emails are counted the same way, so the answers never tell which accounts exist.
A signed-in user who re-enters their password (password or authenticator change) is counted per account.
Failures are forgotten LOGIN_FAILURE_WINDOW_MINUTES after the first one, unless still blocked.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, or_, select

from civicwatch.accounts.models import KnownSignInNetwork, LoginFailure
from civicwatch.clients import client_network
from civicwatch.crypto import keyed_hash
from civicwatch.database import upsert_insert, utcnow
from civicwatch.extensions import db


@dataclass(frozen=True)
class Backoff:
    """How many failures are free, how the wait grows after them, and when it becomes a block."""

    slowdown_after: int
    slowdown_seconds: float
    lockout_after: int
    lockout_minutes: float

    def wait_after(self, failures: int) -> dt.timedelta | None:
        if failures >= self.lockout_after:
            return dt.timedelta(minutes=self.lockout_minutes)
        if failures >= self.slowdown_after:
            return dt.timedelta(seconds=self.slowdown_seconds * 2 ** (failures - self.slowdown_after))
        return None


@dataclass(frozen=True)
class Counted:
    """One failure counted: the wait it imposes, and whether it started a block just now."""

    wait: dt.timedelta | None
    blocked_now: bool


def client_backoff() -> Backoff:
    config = current_app.config
    return Backoff(config["LOGIN_SLOWDOWN_AFTER"], config["LOGIN_SLOWDOWN_SECONDS"],
                   config["LOGIN_LOCKOUT_AFTER"], config["LOGIN_LOCKOUT_MINUTES"])


def account_backoff() -> Backoff:
    config = current_app.config
    ceiling = config["LOGIN_ACCOUNT_CEILING"]
    return Backoff(ceiling, 0, ceiling, config["LOGIN_ACCOUNT_LOCK_MINUTES"])


def email_key(email: str) -> str:
    """The email as accounts are looked up, so that spelling variants are one account to the counters."""
    return email.strip().lower()


def client_key(address: str | None, email: str) -> str:
    return keyed_hash("login-throttle", f"client\0{client_network(address)}\0{email_key(email)}")


def account_key(email: str) -> str:
    return keyed_hash("login-throttle", f"account\0{email_key(email)}")


def known_network_key(address: str | None, email: str) -> str:
    return keyed_hash("login-throttle", f"known\0{client_network(address)}\0{email_key(email)}")


def is_known_network(key: str, now: dt.datetime | None = None) -> bool:
    """Whether the account signed in from this network (known_network_key) within LOGIN_KNOWN_NETWORK_DAYS."""
    seen = db.session.scalar(select(KnownSignInNetwork.last_seen_at).where(KnownSignInNetwork.key_hash == key))
    return seen is not None and seen >= _known_since(now or utcnow())


def remember_network(key: str, now: dt.datetime | None = None) -> None:
    """A completed sign-in from this network (known_network_key); networks not seen for
    LOGIN_KNOWN_NETWORK_DAYS are forgotten. Flushes only."""
    now = now or utcnow()
    db.session.execute(delete(KnownSignInNetwork).where(KnownSignInNetwork.last_seen_at < _known_since(now))
                       .execution_options(synchronize_session=False))
    insert = upsert_insert(db.session)
    db.session.execute(insert(KnownSignInNetwork).values(key_hash=key, last_seen_at=now)
                       .on_conflict_do_update(index_elements=["key_hash"], set_={"last_seen_at": now}))


def _known_since(now: dt.datetime) -> dt.datetime:
    """The oldest sign-in that still makes a network known."""
    return now - dt.timedelta(days=current_app.config["LOGIN_KNOWN_NETWORK_DAYS"])


def reauth_key(user_id: int) -> str:
    return keyed_hash("login-throttle", f"reauth\0{user_id}")


def hold(key: str, now: dt.datetime | None = None) -> None:
    """Lock the key's row (created if missing) until the transaction ends, so that parallel attempts under
    one key read the waits and are counted one after the other, and none slips past a wait the previous one
    imposed. Taken after the password is checked: argon2 must not run under SQLite's write lock."""
    _locked_row(key, now or utcnow())


def current_wait(*keys: str, now: dt.datetime | None = None) -> dt.timedelta | None:
    """The longest wait imposed under any of `keys` before a password may even be checked; None: go ahead."""
    now = now or utcnow()
    rows = db.session.scalars(select(LoginFailure).where(LoginFailure.key_hash.in_(keys))
                              .execution_options(populate_existing=True))
    waits = [row.blocked_until - now for row in rows if row.blocked_until is not None and row.blocked_until > now]
    return max(waits, default=None)


def count_failure(key: str, backoff: Backoff, now: dt.datetime | None = None) -> Counted:
    """Count one wrong password under `key`. Flushes only."""
    now = now or utcnow()
    window = dt.timedelta(minutes=current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"])
    _forget_old_failures(now, window)
    row = _locked_row(key, now)
    blocked = row.blocked_until is not None and row.blocked_until > now
    lockout_over = (row.blocked_until is not None and row.blocked_until <= now
                    and row.failures >= backoff.lockout_after)
    # A lockout that has run its course starts the count again: otherwise one more wrong guess, from anyone,
    # would pause the account again at once, and an attacker could keep its owner (the last admin) out for good.
    # (The slowdown's short waits do not: its wait keeps growing to the lockout.)
    if (row.first_failure_at <= now - window and not blocked) or lockout_over:
        row.failures = 0
        row.first_failure_at = now
    row.failures += 1
    wait = backoff.wait_after(row.failures)
    row.blocked_until = now + wait if wait else None
    db.session.flush()
    # No failure is counted while blocked, so each one at or past the limit starts a new block.
    return Counted(wait, blocked_now=row.failures >= backoff.lockout_after)


def forget_failures(key: str) -> None:
    """A right password from this client: its mistakes are forgiven (the account's count is not)."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.key_hash == key)
                       .execution_options(synchronize_session=False))


def _locked_row(key: str, now: dt.datetime) -> LoginFailure:
    """The key's row, created if missing, locked (PostgreSQL) so that parallel failures all count."""
    insert = upsert_insert(db.session)
    db.session.execute(insert(LoginFailure).values(key_hash=key, failures=0, first_failure_at=now)
                       .on_conflict_do_nothing())
    query = (select(LoginFailure).where(LoginFailure.key_hash == key)
             .with_for_update().execution_options(populate_existing=True))
    return db.session.scalars(query).one()


def _forget_old_failures(now: dt.datetime, window: dt.timedelta) -> None:
    # Rows another attempt holds are left for later: waiting for them could deadlock two attempts.
    old = (select(LoginFailure.key_hash)
           .where(LoginFailure.first_failure_at <= now - window)
           .where(or_(LoginFailure.blocked_until.is_(None), LoginFailure.blocked_until <= now))
           .with_for_update(skip_locked=True))
    db.session.execute(delete(LoginFailure).where(LoginFailure.key_hash.in_(old.scalar_subquery()))
                       .execution_options(synchronize_session=False))
