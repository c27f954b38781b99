"""SQLite write transactions of one process, queued first come, first served.

SQLite has one writer at a time. A writer that finds the database locked waits in SQLite's busy handler,
which polls with growing sleeps (up to 100 ms each): under load a writer keeps missing the moments the lock
is free while others take it, and its wait grows to seconds. Here the threads of one process queue in Python
before their first write: the next writer wakes as soon as the previous transaction commits or rolls back.
Reads never queue (WAL keeps them concurrent). Between processes (the web server and a `deliver` worker filing
queued reports), the writer whose turn it is in its process also takes a file lock beside the database, which it
tries every few hundred microseconds up to 2 ms apart, so that it follows another process's writer within about
that, not SQLite's next sleep. SQLite's busy timeout remains the fallback: a writer that has waited that long for
both together goes on to it, so the queue can slow a stuck writer's successors but never deadlock them.

The queue works at the level of the sqlite3 connection: every connection an engine opens to a database file
is made with `QueuedWriterConnection` (through the `do_connect` event), which takes its place in the queue
before a statement that makes pysqlite open a write transaction, and leaves it on commit, rollback or close.
"""
from __future__ import annotations

import fcntl
import logging
import os
import re
import sqlite3
import threading
import time
import weakref
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from civicwatch.wal_sync import WalSync, wal_sync

BUSY_TIMEOUT_SECONDS = 10.0
log = logging.getLogger(__name__)
# The statements before which pysqlite opens a transaction (Modules/_sqlite: "is_dml"), comments skipped.
_WRITE = re.compile(r"\s*(?:(?:--[^\n]*(?:\n|$)|/\*.*?\*/)\s*)*(?:insert|update|delete|replace)\b",
                    re.IGNORECASE | re.DOTALL)


@dataclass
class QueueFigures:
    """What the queue has done, for benchmarks: how many writers waited and how long, and how long the turns
    lasted (the write transactions of this process, one after the other)."""

    writes: int = 0
    waits: int = 0
    waited_seconds: float = 0.0
    held_seconds: float = 0.0
    timeouts: int = 0


@dataclass
class _Waiter:
    connection: weakref.ref[QueuedWriterConnection]
    gate: threading.Lock = field(default_factory=threading.Lock)


class WriterQueue:
    """A fair lock held by one connection at a time (not by a thread)."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiters: deque[_Waiter] = deque()
        self._owner: weakref.ref[QueuedWriterConnection] | None = None
        self._turn_started = 0.0
        self.figures = QueueFigures()

    def enter(self, connection: QueuedWriterConnection, timeout: float) -> bool:
        """Wait for the connection's turn; False after `timeout` (SQLite's busy handler decides then)."""
        with self._mutex:
            self.figures.writes += 1
            if self._owner is None or self._owner() is None:  # free, or held by a connection that is gone
                self._take_turn(weakref.ref(connection))
                return True
            waiter = _Waiter(weakref.ref(connection))
            waiter.gate.acquire()
            self._waiters.append(waiter)
            self.figures.waits += 1
        started = time.perf_counter()
        waiter.gate.acquire(timeout=timeout)
        with self._mutex:
            self.figures.waited_seconds += time.perf_counter() - started
            if self._owner is not None and self._owner() is connection:
                return True  # handed over, possibly just as the wait timed out
            if self._owner is not None and self._owner() is None:  # the holder was dropped without closing
                self._take_turn(weakref.ref(connection))
                self._waiters.remove(waiter)
                return True
            self._waiters.remove(waiter)
            self.figures.timeouts += 1
        log.warning("a write transaction waited %.0f s for its turn; it goes on to SQLite's busy handler", timeout)
        return False

    def leave(self, connection: QueuedWriterConnection) -> None:
        """Hand the turn to the longest waiting connection still open."""
        with self._mutex:
            if self._owner is None or self._owner() is not connection:
                return
            self._owner = None
            self.figures.held_seconds += time.perf_counter() - self._turn_started
            while self._waiters:
                waiter = self._waiters.popleft()
                if waiter.connection() is not None:
                    self._take_turn(waiter.connection)
                    waiter.gate.release()
                    return

    def _take_turn(self, connection: weakref.ref[QueuedWriterConnection]) -> None:
        self._owner = connection
        self._turn_started = time.perf_counter()


class ProcessLock:
    """The lock that the writers of every process on one database file take in turn: flock on a file beside it
    (released by the system when its process dies). Held by the connection whose turn it is in this process."""

    FIRST_PAUSE, LONGEST_PAUSE = 0.0002, 0.002

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None
        self._pid = 0
        self._unusable = False  # the file could not be opened: said once, then SQLite's lock alone

    def _descriptor(self) -> int:
        # A forked process opens the file again: a description inherited from the parent would be the parent's lock.
        if self._fd is None or self._pid != os.getpid():
            # Readable and writable by the database's group too (less the umask): a worker may run as another user.
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o660)
            self._pid = os.getpid()
        return self._fd

    def acquire(self, timeout: float) -> bool:
        """Take the lock; False after `timeout` (or when the file cannot be opened): SQLite's busy handler decides."""
        if self._unusable:
            return False
        try:
            descriptor = self._descriptor()
        except OSError as error:
            self._unusable = True
            log.warning("the writers' lock file cannot be opened (%s); this process's writers meet other processes' "
                        "at SQLite's lock", error.strerror)
            return False
        deadline, pause = time.monotonic() + timeout, self.FIRST_PAUSE
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    log.warning("a write transaction waited %.1f s for another process's; it goes on to SQLite's "
                                "busy handler", timeout)
                    return False
                time.sleep(pause)
                pause = min(pause * 2, self.LONGEST_PAUSE)

    def release(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            fcntl.flock(self._fd, fcntl.LOCK_UN)


_process_locks: dict[str, ProcessLock] = {}


def process_lock(database: str) -> ProcessLock:
    """The lock shared with other processes of one database file (named by its real path)."""
    with _queues_lock:
        return _process_locks.setdefault(database, ProcessLock(database + "-writer"))


_queues: dict[str, WriterQueue] = {}
_queues_lock = threading.Lock()


def writer_queue(database: str) -> WriterQueue:
    """The queue of one database file in this process."""
    with _queues_lock:
        return _queues.setdefault(database, WriterQueue())


def all_queue_figures() -> QueueFigures:
    """The figures of every queue of this process, added up (for benchmarks)."""
    total = QueueFigures()
    with _queues_lock:
        queues = list(_queues.values())
    for queue in queues:
        figures = queue.figures
        total.writes += figures.writes
        total.waits += figures.waits
        total.waited_seconds += figures.waited_seconds
        total.held_seconds += figures.held_seconds
        total.timeouts += figures.timeouts
    return total


def _queue_key(database: Any, uri: bool) -> str | None:
    name = os.fsdecode(database)
    if name in ("", ":memory:") or (uri and "mode=memory" in name):
        return None  # private to the connection (or shared only inside it): nobody to queue behind
    if uri:
        return name
    return os.path.realpath(name)


class QueuedWriterCursor(sqlite3.Cursor):
    connection: QueuedWriterConnection

    def execute(self, sql: str, parameters: Any = (), /) -> QueuedWriterCursor:
        self.connection.before_statement(sql)
        super().execute(sql, parameters)
        return self

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> QueuedWriterCursor:
        self.connection.before_statement(sql)
        super().executemany(sql, seq_of_parameters)
        return self


class QueuedWriterConnection(sqlite3.Connection):
    """A sqlite3 connection that queues in `writer_queue` for its write transactions and, on a database file named
    by its path, makes each commit durable through the file's shared sync (`civicwatch.wal_sync`; the connection
    then runs with synchronous=NORMAL, see civicwatch.database)."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        uri = bool(kwargs.get("uri"))
        key = _queue_key(database, uri)
        self.writer_queue = writer_queue(key) if key else None
        self.wal_sync: WalSync | None = wal_sync(key) if key and not uri else None
        self.process_lock: ProcessLock | None = process_lock(key) if key and not uri else None
        self.queued = False
        self.locked = False  # holds process_lock

    def cursor(self, factory: Any = None) -> Any:
        return super().cursor(factory or QueuedWriterCursor)

    def before_statement(self, sql: str) -> None:
        if self.writer_queue is None or self.queued or self.isolation_level is None or not _WRITE.match(sql):
            return
        started = time.monotonic()
        self.queued = self.writer_queue.enter(self, BUSY_TIMEOUT_SECONDS)
        if self.queued and self.process_lock is not None:
            # One budget for both waits: a writer that waited long for its turn waits only what is left for the lock.
            left = BUSY_TIMEOUT_SECONDS - (time.monotonic() - started)
            self.locked = self.process_lock.acquire(max(left, 0.0))

    def commit(self) -> None:
        wrote = self.in_transaction  # pysqlite opens a transaction only for a write (or an explicit BEGIN)
        try:
            super().commit()
        finally:
            if not self.in_transaction:  # a commit that failed leaves the transaction to a rollback
                self._leave_queue()
        if wrote and self.wal_sync is not None:
            self.wal_sync.after_commit()  # after the turn is handed on: the next writer goes on meanwhile

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._leave_queue()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._leave_queue()

    def _leave_queue(self) -> None:
        if self.locked and self.process_lock is not None:
            self.locked = False
            self.process_lock.release()
        if self.queued and self.writer_queue is not None:
            self.queued = False
            self.writer_queue.leave(self)


@event.listens_for(Engine, "do_connect")
def _queue_sqlite_writers(dialect: Any, connection_record: Any, cargs: list[Any], cparams: dict[str, Any]) -> None:
    if dialect.name == "sqlite" and dialect.driver == "pysqlite" and "factory" not in cparams:
        cparams["factory"] = QueuedWriterConnection
