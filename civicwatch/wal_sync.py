"""Durable SQLite commits whose disk sync is shared, and made after the write lock is given up.

With `synchronous=FULL` SQLite syncs the write-ahead log inside every commit, while the commit still holds the
database's one write lock: every writer waits for each other's sync in turn (about 2 ms each here, and several
times that when the disk is busy), and one writer at a time then sets the rate of web reports. Connections made by
`civicwatch.sqlite_writes` run with `synchronous=NORMAL` instead (SQLite still syncs at checkpoints, so the file
cannot be corrupted) and sync the log themselves in `commit()`, after the lock is given up and before returning:
a commit still returns only once it is on disk, as with FULL, so an acknowledged report survives a power cut.
Writers that commit meanwhile share one sync: a sync started after a commit ended covers it, since syncing a file
writes everything written to it before, by any process.

What differs from FULL: between a commit and its sync (a few milliseconds), other connections can already read
what it wrote. A power cut in that moment loses that commit, which was never acknowledged, and anything read of it
is gone with it; what another connection wrote after reading it is lost too, since its own sync would have
covered the earlier commit. Work that leaves the database (a text sent through Twilio) always follows a commit of
its own (the outbox's claim), whose sync covers what it read.
"""
from __future__ import annotations

import os
import sqlite3
import threading
from dataclasses import dataclass, field


@dataclass
class SyncFigures:
    """For tests and benchmarks: commits that asked for a sync, and syncs made."""

    commits: int = 0
    syncs: int = 0


@dataclass
class WalSync:
    """The shared sync of one database's write-ahead log, in this process."""

    wal_path: str
    figures: SyncFigures = field(default_factory=SyncFigures)
    _mutex: threading.Lock = field(default_factory=threading.Lock)
    _syncing: threading.Lock = field(default_factory=threading.Lock)
    _synced: int = 0  # commits of this process known to be on disk (numbered in the order they ended)

    def after_commit(self) -> None:
        """Return once the commit that just ended is on disk: by a sync started after it ended (this thread's, or
        one another thread started meanwhile). An error of the sync is raised: the commit may not be durable."""
        with self._mutex:
            self.figures.commits += 1
            mine = self.figures.commits
        with self._syncing:
            if self._synced >= mine:
                return
            with self._mutex:
                covered = self.figures.commits  # every commit that has ended so far
            self._sync()
            self._synced = covered

    def _sync(self) -> None:
        try:
            descriptor = os.open(self.wal_path, os.O_RDONLY)
        except FileNotFoundError:
            # The log is removed only when the last connection closes, after SQLite has checkpointed it into the
            # database file and synced that: nothing left to sync.
            return
        try:
            os.fdatasync(descriptor)  # as SQLite syncs its log: the data and the size needed to read it back
        except OSError as exc:
            # As SQLite reports a failed sync inside a commit: a database error, which callers already handle.
            raise sqlite3.OperationalError(f"disk I/O error: the write-ahead log could not be synced ({exc})") from exc
        finally:
            os.close(descriptor)
        self.figures.syncs += 1


_syncs: dict[str, WalSync] = {}
_syncs_lock = threading.Lock()


def wal_sync(database_path: str) -> WalSync:
    """The shared sync of the database file at `database_path` (a real path) in this process."""
    with _syncs_lock:
        found = _syncs.get(database_path)
        if found is None:
            found = _syncs[database_path] = WalSync(database_path + "-wal")
        return found
