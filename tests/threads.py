"""Running the same work in several threads at once, for the tests of concurrent writers."""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import Engine, event


def run_together(target: Callable[..., Any], arguments: Iterable[tuple[Any, ...]], timeout: float) -> None:
    """Start one thread per argument tuple, then wait for each (at most `timeout` seconds each)."""
    threads = [threading.Thread(target=target, args=args) for args in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)


@contextmanager
def meeting_at_first(statement: str, names: set[str], engine: Engine) -> Iterator[None]:
    """Within the block, each thread named in `names` waits for the others just before its first statement
    starting with `statement` (e.g. "UPDATE USERS"): every one of them has done all its reads by then. Fails if they
    did not all get there together."""
    with _meeting(lambda sql: sql.lstrip().upper().startswith(statement), names, engine):
        yield


@contextmanager
def meeting_at_first_write(names: set[str], engine: Engine) -> Iterator[None]:
    """As `meeting_at_first`, just before each thread's first statement that writes or takes a lock (INSERT, UPDATE,
    DELETE, a SELECT ... FOR [NO KEY] UPDATE, an advisory lock), whichever it is."""
    with _meeting(writes_or_locks, names, engine):
        yield


def writes_or_locks(sql: str) -> bool:
    """Whether the statement writes, or takes a lock: a row's, or PostgreSQL's advisory lock (the audit chain's)."""
    words = sql.lstrip().upper()
    return (words.startswith(("INSERT", "UPDATE", "DELETE")) or "FOR UPDATE" in words or "FOR NO KEY UPDATE" in words
            or "PG_ADVISORY" in words)


@contextmanager
def before_the_first_write_of_this_thread(app: Flask, work: Callable[[], None],
                                          engine: Engine) -> Iterator[list[threading.Thread]]:
    """Within the block, run `work` to its end (in an app context, in a thread of its own) just before this thread
    first writes or locks a row: every read of its request is done by then. The list holds the thread once
    started."""
    me, started = threading.current_thread(), []

    def in_context() -> None:
        with app.app_context():
            work()

    def before(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        if threading.current_thread() is me and not started and writes_or_locks(sql):
            thread = threading.Thread(target=in_context)
            started.append(thread)
            thread.start()
            thread.join(20)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield started
    finally:
        event.remove(engine, "before_cursor_execute", before)


@contextmanager
def _meeting(matches: Callable[[str], bool], names: set[str], engine: Engine) -> Iterator[None]:
    waited: set[str] = set()
    together = threading.Barrier(len(names), timeout=10)
    broken: list[str] = []

    def before(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        name = threading.current_thread().name
        if name in names and name not in waited and matches(sql):
            waited.add(name)
            try:
                together.wait()
            except threading.BrokenBarrierError:
                broken.append(name)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", before)
    assert waited == names and not broken, "the threads did not write at the same moment"
