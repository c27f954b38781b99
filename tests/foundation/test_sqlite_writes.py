"""SQLite's writers of one process queue in Python, first come first served, and every way a transaction ends
(commit, rollback after an error, a connection closed) hands the turn to the next writer; the writer whose turn it
is holds a file lock that other processes' writers wait for."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from flask import Flask
from sqlalchemy import Connection, select, text
from sqlalchemy.exc import IntegrityError

from civicwatch import sqlite_writes
from civicwatch.extensions import db
from civicwatch.sqlite_writes import ProcessLock, QueuedWriterConnection, WriterQueue, all_queue_figures
from civicwatch.taxonomy.models import Setting
from tests.conftest import on_postgres

pytestmark = pytest.mark.skipif(on_postgres(), reason="SQLite's writers only")
INSERT = text("INSERT INTO settings (key, value) VALUES (:key, 'x')")


def _queue(connection: Connection) -> WriterQueue:
    dbapi = connection.connection.dbapi_connection
    assert isinstance(dbapi, QueuedWriterConnection) and dbapi.writer_queue is not None
    return dbapi.writer_queue


def _wait_until(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the other writer never got as far"
        time.sleep(0.001)


def _write_in_thread(app: Flask, key: str, done: threading.Event, failures: list[BaseException]) -> threading.Thread:
    def write() -> None:
        try:
            with app.app_context(), db.engine.begin() as connection:
                connection.execute(INSERT, {"key": key})
            done.set()
        except BaseException as exc:  # shown by the test's assertion
            failures.append(exc)
    thread = threading.Thread(target=write)
    thread.start()
    return thread


@pytest.mark.parametrize("ending", ["commit", "rollback", "close"])
def test_the_next_writer_waits_for_the_transaction_to_end_then_goes_on(app: Flask, ending: str):
    holder = db.engine.connect()
    holder.execute(INSERT, {"key": "first"})
    queue = _queue(holder)
    waits = queue.figures.waits
    done, failures = threading.Event(), []
    thread = _write_in_thread(app, "second", done, failures)
    _wait_until(lambda: queue.figures.waits > waits)
    assert not done.is_set()  # queued behind the open transaction, not beside it
    if ending == "close":
        holder.invalidate()  # the sqlite3 connection is closed, as when a broken connection is dropped
    else:
        getattr(holder, ending)()
    thread.join(10)
    holder.close()
    assert failures == [] and done.is_set()
    stored = set(db.session.scalars(select(Setting.key).where(Setting.key.in_(["first", "second"]))))
    assert stored == ({"first", "second"} if ending == "commit" else {"second"})


def test_a_failed_session_transaction_hands_on_the_turn(app: Flask):
    db.session.add(Setting(key="taken", value="1"))
    db.session.commit()
    db.session.add(Setting(key="taken", value="2"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    done, failures = threading.Event(), []
    _write_in_thread(app, "after", done, failures).join(10)
    assert failures == [] and done.is_set()


def test_writers_take_their_turns_in_the_order_they_came():
    queue, holder = WriterQueue(), _Stand()
    assert queue.enter(holder, 1)
    order: list[int] = []
    stands = [_Stand() for _ in range(3)]
    threads = []
    for number, stand in enumerate(stands):
        waits = queue.figures.waits
        threads.append(threading.Thread(target=lambda n=number, s=stand: (queue.enter(s, 10), order.append(n),
                                                                           queue.leave(s))))
        threads[-1].start()
        _wait_until(lambda w=waits: queue.figures.waits > w)
    queue.leave(holder)
    for thread in threads:
        thread.join(10)
    assert order == [0, 1, 2]


def test_a_writer_stuck_behind_a_lost_turn_goes_on_to_sqlite():
    queue, holder = WriterQueue(), _Stand()
    assert queue.enter(holder, 1)
    assert queue.enter(_Stand(), 0.01) is False  # the busy timeout, not a deadlock
    assert queue.figures.timeouts == 1


class _Stand:
    """Something that holds a turn in place of a sqlite3 connection (the queue keeps only weak references)."""


def test_the_figures_of_every_queue_add_up_to_the_process_figures(app: Flask):
    before = all_queue_figures()
    with db.engine.begin() as connection:
        connection.execute(INSERT, {"key": "counted"})
    after = all_queue_figures()
    assert after.writes == before.writes + 1
    assert after.held_seconds > before.held_seconds


# Another process tries the writers' file lock once, without waiting: exit 0 if it got it.
_TRY_THE_LOCK = """
import fcntl, os, sys
descriptor = os.open(sys.argv[1], os.O_RDWR)
try:
    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
except BlockingIOError:
    sys.exit(1)
"""


def _another_process_gets_the_lock(path: str) -> bool:
    return subprocess.run([sys.executable, "-c", _TRY_THE_LOCK, path], timeout=60).returncode == 0


@pytest.mark.parametrize("ending", ["commit", "rollback"])
def test_a_write_transaction_holds_the_lock_other_processes_wait_for(app: Flask, ending: str):
    """The server's writers and a worker's take turns through a file lock, not SQLite's sleeping busy handler."""
    holder = db.engine.connect()
    holder.execute(INSERT, {"key": "first"})
    dbapi = holder.connection.dbapi_connection
    assert isinstance(dbapi, QueuedWriterConnection) and dbapi.process_lock is not None
    path = dbapi.process_lock.path
    assert path == os.path.realpath(db.engine.url.database) + "-writer"
    assert not _another_process_gets_the_lock(path)
    getattr(holder, ending)()
    assert _another_process_gets_the_lock(path)
    holder.execute(select(Setting.key)).all()  # a read takes no lock
    assert _another_process_gets_the_lock(path)
    holder.close()


def test_a_writer_that_cannot_get_the_lock_goes_on_to_sqlite(tmp_path):
    taken = ProcessLock(str(tmp_path / "db-writer"))
    assert taken.acquire(1)
    held_elsewhere = subprocess.Popen([sys.executable, "-c", _HOLD_THE_LOCK, taken.path], stdout=subprocess.PIPE)
    taken.release()
    try:
        assert held_elsewhere.stdout is not None and held_elsewhere.stdout.readline().strip() == b"held"
        assert taken.acquire(0.05) is False  # the busy timeout, not a deadlock
    finally:
        held_elsewhere.kill()
        held_elsewhere.communicate()
    assert taken.acquire(1)  # released by the system when its process died
    taken.release()


_HOLD_THE_LOCK = """
import fcntl, os, sys, time
descriptor = os.open(sys.argv[1], os.O_RDWR)
fcntl.flock(descriptor, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(60)
"""


def test_a_lock_file_that_cannot_be_opened_leaves_the_writers_to_sqlite(tmp_path, caplog):
    unusable = ProcessLock(str(tmp_path / "no-such-folder" / "db-writer"))
    assert unusable.acquire(1) is False and unusable.acquire(1) is False
    assert [record.getMessage() for record in caplog.records].count(
        "the writers' lock file cannot be opened (No such file or directory); this process's writers meet other "
        "processes' at SQLite's lock") == 1
    unusable.release()  # nothing held: nothing to do


def test_the_turn_and_the_lock_share_one_wait(tmp_path, monkeypatch):
    """A writer that waited most of the busy timeout for its turn waits only the rest for another process's lock, then
    goes on to SQLite: its two waits together last the timeout, not twice it."""
    monkeypatch.setattr(sqlite_writes, "BUSY_TIMEOUT_SECONDS", 1.0)
    path = str(tmp_path / "shared.sqlite3")
    writer = sqlite3.connect(path, factory=QueuedWriterConnection, timeout=0, check_same_thread=False)
    writer.execute("CREATE TABLE notes (said TEXT)")
    writer.commit()
    assert writer.writer_queue is not None and writer.process_lock is not None
    assert writer.process_lock.acquire(1)  # the lock file made
    writer.process_lock.release()
    held_elsewhere = subprocess.Popen([sys.executable, "-c", _HOLD_THE_LOCK, writer.process_lock.path],
                                      stdout=subprocess.PIPE)
    turn_holder = _Stand()
    try:
        assert held_elsewhere.stdout is not None and held_elsewhere.stdout.readline().strip() == b"held"
        assert writer.writer_queue.enter(turn_holder, 1)
        handing_on = threading.Timer(0.9, writer.writer_queue.leave, (turn_holder,))
        handing_on.start()
        started = time.monotonic()
        writer.cursor().execute("INSERT INTO notes VALUES ('after both waits')")  # SQLite's own lock is free: it goes on
        waited = time.monotonic() - started
        handing_on.join()
        writer.commit()
    finally:
        held_elsewhere.kill()
        held_elsewhere.communicate()
    assert 0.85 <= waited < 1.5  # its turn (0.9 s), then the 0.1 s left for the lock; 1.9 s if each had its own
    assert writer.locked is False and writer.execute("SELECT said FROM notes").fetchall() == [("after both waits",)]
    writer.close()
