"""A commit to an SQLite file returns only once its write-ahead log is on disk, synced after the write lock is
handed on, and writers that commit while a sync runs share the next one (civicwatch/wal_sync.py).

The syncs are observed, not replaced: os.fdatasync is wrapped to note the syncs of the test's database log (and, in
one test, to hold a sync until the test lets it go, or to fail as a dying disk does), then the real call runs. Syncs
of other files (a thread an earlier test left running, with a database of its own) are let through unobserved."""
from __future__ import annotations

import os
import threading
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

from civicwatch.extensions import db
from civicwatch.sqlite_writes import QueuedWriterConnection
from civicwatch.wal_sync import WalSync
from tests.conftest import on_postgres

pytestmark = pytest.mark.skipif(on_postgres(), reason="SQLite's commits only")
INSERT = text("INSERT INTO settings (key, value) VALUES (:key, 'x')")
REAL_FDATASYNC = os.fdatasync


def _wal_sync(connection: Connection) -> WalSync:
    dbapi = connection.connection.dbapi_connection
    assert isinstance(dbapi, QueuedWriterConnection) and dbapi.wal_sync is not None
    return dbapi.wal_sync


def _observe_syncs(monkeypatch: pytest.MonkeyPatch, before: Callable[[], None] = lambda: None) -> list[str]:
    """The syncs of the app's database log from now on, in order."""
    log = os.path.realpath(db.engine.url.database or "") + "-wal"
    synced: list[str] = []

    def fdatasync(descriptor: int) -> None:
        path = os.readlink(f"/proc/self/fd/{descriptor}")
        if path == log:
            before()
            synced.append(path)
        REAL_FDATASYNC(descriptor)
    monkeypatch.setattr(os, "fdatasync", fdatasync)
    return synced


def test_a_commit_returns_once_the_log_is_synced_and_sqlite_no_longer_syncs_inside_it(app: Flask, monkeypatch):
    synced = _observe_syncs(monkeypatch)
    with db.engine.begin() as connection:
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL: the sync is ours
        connection.execute(INSERT, {"key": "durable"})
        database = connection.execute(text("PRAGMA database_list")).one().file
        assert synced == []  # not before the commit
    assert synced == [os.path.realpath(database) + "-wal"]


def test_a_transaction_that_wrote_nothing_syncs_nothing(app: Flask, monkeypatch):
    synced = _observe_syncs(monkeypatch)
    with db.engine.begin() as connection:
        connection.execute(text("SELECT count(*) FROM settings")).scalar()
    with db.engine.begin() as connection:
        connection.execute(INSERT, {"key": "one"})
    assert len(synced) == 1


def test_writers_that_commit_during_a_sync_share_the_next_one_and_none_returns_before_it(app: Flask, monkeypatch):
    first_sync_started, let_first_sync_go = threading.Event(), threading.Event()
    calls = {"n": 0}

    def hold_the_first_sync() -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            first_sync_started.set()
            assert let_first_sync_go.wait(30)
    synced = _observe_syncs(monkeypatch, hold_the_first_sync)
    returned: list[str] = []
    failures: list[BaseException] = []

    def commit(key: str) -> None:
        try:
            with app.app_context(), db.engine.begin() as connection:
                connection.execute(INSERT, {"key": key})
            returned.append(key)
        except BaseException as exc:  # shown by the assertions below
            failures.append(exc)

    with db.engine.connect() as connection:
        sync = _wal_sync(connection)
    # Counted from here: the app's set-up committed already, and its commit counts too.
    commits_before = sync.figures.commits
    first = threading.Thread(target=commit, args=("first",))
    first.start()
    assert first_sync_started.wait(30)
    others = [threading.Thread(target=commit, args=(f"other {n}",)) for n in range(3)]
    for thread in others:
        thread.start()
    # The three commit while the first one's sync is held: the write lock was handed on before it.
    figures = sync.figures
    for _ in range(3000):
        if figures.commits >= commits_before + 4:
            break
        threading.Event().wait(0.01)
    assert figures.commits == commits_before + 4, "the other writers did not commit while the first sync ran"
    assert returned == []  # nobody is told "stored" before a sync that covers their commit
    let_first_sync_go.set()
    for thread in [first, *others]:
        thread.join(30)
    assert failures == []
    assert sorted(returned) == ["first", "other 0", "other 1", "other 2"]
    assert len(synced) == 2  # the first commit's sync, then one for the three that ended during it


def test_a_sync_that_fails_is_raised_as_a_database_error_from_the_commit(app: Flask, monkeypatch):
    def dying_disk() -> None:
        raise OSError(5, "Input/output error")
    _observe_syncs(monkeypatch, dying_disk)
    with pytest.raises(OperationalError, match="write-ahead log could not be synced"):
        with db.engine.begin() as connection:
            connection.execute(INSERT, {"key": "not durable"})
