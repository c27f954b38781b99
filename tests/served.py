"""Requests served as a WSGI server serves them, for the tests of downloads, and a database connection that
breaks while a query's rows are read.

`serve` runs a request in a context of its own, as a server thread does: no app context of the test around it, so
the request opens and ends its own database session, and a streamed body keeps it until the last byte. Its body is
read only when the test says, as a slow client reads it, and an error while it is sent cuts it where it was, as a
server does (it logs the error and closes the connection: the client keeps what it got, under the status it got)."""
from __future__ import annotations

import contextvars
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, text
from werkzeug.test import TestResponse

TERMINATED_WITHIN_SECONDS = 30  # a loaded machine can take seconds to end a backend


@dataclass
class Served:
    context: contextvars.Context
    response: TestResponse
    sent: bytearray = field(default_factory=bytearray)
    cut: bool = False

    def read_start(self, size: int) -> bytes:
        """The first `size` bytes of the body or more (as many parts as the server sends to make them), the rest
        left unread, as by a client that reads slowly."""
        return self.context.run(self._read, size)

    def read(self) -> bytes:
        """The whole body as the client receives it: up to the error that cut it, if one did."""
        return self.context.run(self._read, None)

    def _read(self, size: int | None) -> bytes:
        if self.cut:
            return bytes(self.sent)
        parts = iter(self.response.response)
        try:
            while size is None or len(self.sent) < size:
                self.sent += next(parts)
        except StopIteration:
            self.close()
        except Exception:  # noqa: BLE001 - a server's behaviour: the connection is closed, the client keeps `sent`
            self.close()
        return bytes(self.sent)

    def close(self) -> None:
        self.cut = True
        self.response.close()


def browser(app: Flask) -> FlaskClient:
    """A client whose requests open their own app context (the test's IsolatedClient opens one around them)."""
    return FlaskClient(app, app.response_class)


def serve(app: Flask, path: str, client: FlaskClient | None = None, **kwargs: Any) -> Served:
    """GET `path` (with `client`'s cookies, from `browser`); the status and headers are there, the body not yet
    read."""
    context = contextvars.Context()
    client = client or browser(app)
    return Served(context, context.run(client.get, path, buffered=False, **kwargs))


@contextmanager
def broken_after(engine: Engine, marker: str) -> Iterator[list[str]]:
    """Within the block, the connection that runs the first statement containing `marker` breaks as soon as the
    statement is sent, before its rows are all read: SQLite interrupts it (SQLITE_INTERRUPT, what its statement
    timeouts do); PostgreSQL's backend is terminated (a restart, a failover, an operator's pg_terminate_backend).
    Yields the statements broken (one at most)."""
    broken: list[str] = []
    cursors: list[Any] = []

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if broken or marker not in statement:
            return
        broken.append(statement)
        cursors.append(cursor)
        if engine.dialect.name == "sqlite":
            cursor.connection.interrupt()
        else:
            terminate_backend(engine, cursor.connection.info.backend_pid)

    event.listen(engine, "after_cursor_execute", after)
    try:
        yield broken
    finally:
        event.remove(engine, "after_cursor_execute", after)
        for cursor in cursors:
            # SQLAlchemy leaves the cursor of a lost connection to the garbage collector (it closes the connection),
            # where psycopg's server-side cursor warns that it was not closed.
            cursor.close()


def terminate_backend(engine: Engine, pid: int) -> None:
    """Terminate a PostgreSQL backend from another connection, and wait until it is gone."""
    with engine.connect() as other:
        assert other.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        deadline = time.monotonic() + TERMINATED_WITHIN_SECONDS
        while time.monotonic() < deadline:
            if not other.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}):
                return
            other.rollback()  # pg_stat_activity is read once per transaction
            time.sleep(0.01)
    raise AssertionError(f"backend {pid} still running")
