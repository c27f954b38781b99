"""SQLite's writers of one process queue in Python, first come first served, and every way a transaction ends
(commit, rollback after an error, a connection closed) hands the turn to the next writer."""
from __future__ import annotations

import threading
import time

import pytest
from flask import Flask
from sqlalchemy import Connection, select, text
from sqlalchemy.exc import IntegrityError

from civicwatch.extensions import db
from civicwatch.sqlite_writes import QueuedWriterConnection, WriterQueue, all_queue_figures
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
