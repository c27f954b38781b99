"""What classification, routing and deadlines read from the taxonomy, kept per process until the taxonomy
changes.

Every flush that adds, changes or deletes a taxonomy row (bodies, themes, actors, regions, districts,
settings, public holidays, and what other domains register, such as routing rules) writes a new random token
into the `taxonomy_version` setting, in the same transaction. Readers compare that one small row with the token
their cache was built under: the same token, the cached values; another, everything is read again. So every app
process (several gunicorn workers, the `deliver` workers) sees a committed change on its next case, at the
cost of one primary-key read per transaction instead of re-reading the taxonomy.

The token is written by a session event rather than by each operation so that no writer can forget it: a
stale cache would silently route cases by rules that no longer exist.
"""
from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from itertools import chain
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction

from civicwatch.extensions import db
from civicwatch.taxonomy.models import Actor, Body, District, Holiday, Region, Setting, Theme

VERSION_SETTING = "taxonomy_version"
_SESSION_KEY = "civicwatch.taxonomy_version"
_EARLIER_KEY = "civicwatch.taxonomy_version_earlier"
_NOT_READ = "not read"  # stands for the token of a transaction that has not read it yet (never a uuid hex)
_APP_KEY = "civicwatch.taxonomy_cache"
_watched: set[type] = {Actor, Body, District, Holiday, Region, Setting, Theme}
_lock = threading.Lock()
# Read on the session's connection, not through the ORM: this runs once per transaction on every case and
# request that classifies or routes, and the ORM's layers cost more than the read itself.
_SETTINGS = Setting.__table__
_READ_VERSION = select(_SETTINGS.c.value).where(_SETTINGS.c.key == VERSION_SETTING)

T = TypeVar("T")


def watch_for_changes(*models: type) -> None:
    """Count changes to these models as taxonomy changes (for domains above this one, e.g. routing rules)."""
    _watched.update(models)


def _is_taxonomy_change(session: Session, row: object) -> bool:
    if not isinstance(row, tuple(_watched)):
        return False
    if isinstance(row, Setting) and row.key == VERSION_SETTING:
        return False
    return row in session.new or row in session.deleted or session.is_modified(row)


def _write_token(session: Session) -> None:
    token = uuid.uuid4().hex
    row = session.get(Setting, VERSION_SETTING)
    if row is None:
        session.add(Setting(key=VERSION_SETTING, value=token))
    else:
        row.value = token
    session.info[_SESSION_KEY] = token


@event.listens_for(Session, "before_flush")
def _bump_version(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
    if any(_is_taxonomy_change(session, row) for row in chain(session.new, session.dirty, session.deleted)):
        _write_token(session)


@event.listens_for(Session, "do_orm_execute")
def _bump_version_on_bulk_change(state: ORMExecuteState) -> None:
    """Bulk UPDATE or DELETE statements (`session.execute(delete(RoutingRule))`) bypass the flush."""
    mapper = state.bind_mapper
    if (state.is_update or state.is_delete) and mapper is not None and mapper.class_ in _watched:
        _write_token(state.session)


@event.listens_for(Session, "after_transaction_end")
def _forget_version(session: Session, transaction: SessionTransaction) -> None:
    # Not at the end of each flush's inner transaction, nor of a savepoint released (what it read and wrote
    # stands): the token read once holds until the transaction ends, or a rollback may have undone a change.
    if transaction.parent is None:
        session.info.pop(_SESSION_KEY, None)
        session.info.pop(_EARLIER_KEY, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_version_after_a_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    # Read again after a rollback, and compared with the token read before it (the end of the whole transaction
    # forgets both).
    if _SESSION_KEY in session.info:
        session.info[_EARLIER_KEY] = session.info.pop(_SESSION_KEY)


def _expire_loaded_rows(session: Session) -> None:
    """Taxonomy rows this session loaded before the taxonomy changed keep their old values (the ORM does not read a
    row it holds again), and a cache built from them, or a row of the cache attached to the session, would be the
    old one under the new version. Expired, they are read again when next used; the session's own changes are kept
    (pending ones were flushed before the version was read)."""
    watched = tuple(_watched)
    for row in list(session.identity_map.values()):
        if isinstance(row, watched) and row not in session.deleted and not session.is_modified(row):
            session.expire(row)


def _change_pending(session: Session) -> bool:
    return any(_is_taxonomy_change(session, row) for row in chain(session.new, session.dirty, session.deleted))


def taxonomy_version() -> str | None:
    """The taxonomy's current token (None before its first change); read once per transaction. A change
    still pending in this session is flushed first, so that it counts."""
    session = db.session()
    if _change_pending(session):
        session.flush()
    info = session.info
    if _SESSION_KEY not in info:
        _take_version(session, session.connection().execute(_READ_VERSION).scalar())
    return info[_SESSION_KEY]


def _take_version(session: Session, value: Any) -> None:
    token = str(value) if value is not None else None
    if session.info.pop(_EARLIER_KEY, token) != token:
        _expire_loaded_rows(session)
    session.info[_SESSION_KEY] = token


# For a statement that a transaction runs anyway before it classifies or routes (a web report's look-up of its
# form's key): the version read in it, given to note_version_read, spares taxonomy_version a statement of its own.
VERSION_READ = _READ_VERSION.scalar_subquery().label("taxonomy_version")


def note_version_read(value: Any) -> None:
    """The token as a statement of this transaction read it (VERSION_READ), taken as the transaction's read of it,
    unless the version was read (or written) in the transaction already, or a change of the taxonomy is pending
    in the session (taxonomy_version flushes it, then reads)."""
    session = db.session()
    if _SESSION_KEY not in session.info and not _change_pending(session):
        _take_version(session, value)


def check_version_again() -> None:
    """Read the taxonomy's token again at its next use in this transaction. For a transaction that handles several
    cases in turn (the inbox's batches): each is read and routed by the taxonomy committed when its turn comes, as
    it would be in a transaction of its own, not by the one of the batch's first case. If another process changed
    it meanwhile, the rows this session holds are read again too."""
    info = db.session().info
    if _SESSION_KEY in info:
        info[_EARLIER_KEY] = info.pop(_SESSION_KEY)
    else:  # rows may have been loaded without a look at the version: its first read must not trust them
        info.setdefault(_EARLIER_KEY, _NOT_READ)


def cached(name: str, load: Callable[[], T]) -> T:
    """`load()`'s value, computed once per app process and taxonomy version (for values derived from the
    taxonomy only, never from other data)."""
    version = taxonomy_version()
    with _lock:
        cache = current_app.extensions.get(_APP_KEY)
        if cache is None or cache["version"] != version:
            cache = {"version": version, "values": {}}
            current_app.extensions[_APP_KEY] = cache
        values: dict[str, Any] = cache["values"]
    if name not in values:
        # From what the database holds now, not from rows this session loaded before a change (whichever thread
        # rebuilt the cache): the value is kept for every later request of the process.
        _expire_loaded_rows(db.session())
        values[name] = load()
    return values[name]
