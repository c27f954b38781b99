"""A hot path's statements outside the ORM session, each in autocommit on a pooled DBAPI connection and without
SQLAlchemy's execution layer: a single-row `INSERT ... ON CONFLICT DO NOTHING` that is the path's whole write (the
SMS webhook, a queued web report), and a look-up of at most one row made before it (a queued web report's form key).

PostgreSQL: one round trip each, no BEGIN, ROLLBACK or ping. The statements run in autocommit (a client-side
switch, made once per connection), on a pool of their own that skips the app pool's pre-ping; when a connection is
found dead the pool's idle connections are thrown away and the statement runs on a fresh one, which is what the ping
would have done. SQLite: the app's pool, and for a write one lock per process, so that threads queue on it instead
of sleeping in SQLite's busy handler. No engine events run, the NUL guard included, so callers pass only checked
values: str, bytes, int, or aware datetimes (stored as UTCDateTime stores them).
"""
from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections import namedtuple
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Select, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import Pool, QueuePool

from civicwatch.database import UTCDateTime

Result = TypeVar("Result")


class SingleRowInsert:
    """`INSERT ... ON CONFLICT (key) DO NOTHING` of one row, as its own transaction."""

    def __init__(self, table: str, columns: tuple[str, ...], key: str) -> None:
        self.columns = columns
        self._sql = {
            marker: f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([marker] * len(columns))}) "
                    f"ON CONFLICT ({key}) DO NOTHING"
            for marker in ("?", "%s")
        }
        self._to_timestamp: dict[str, Any] = {}
        self._sqlite_lock = threading.Lock()

    def __call__(self, engine: Engine, values: dict[str, Any]) -> bool:
        """Insert the row; False if a row with its key was there already (nothing written)."""
        dialect = engine.dialect
        if dialect.name not in self._to_timestamp:
            self._to_timestamp[dialect.name] = UTCDateTime().bind_processor(dialect) or (lambda value: value)
        to_timestamp = self._to_timestamp[dialect.name]
        params = tuple(to_timestamp(value) if isinstance(value, dt.datetime) else value
                       for value in (values[column] for column in self.columns))
        with _driver_errors_wrapped(dialect, self._sql["?"]):
            if dialect.name == "postgresql":
                return _on_postgresql(engine, lambda cursor: _inserted(cursor, self._sql["%s"], params))
            return self._insert_sqlite(engine, params)

    def _insert_sqlite(self, engine: Engine, params: tuple) -> bool:
        connection = engine.raw_connection()
        try:
            with self._sqlite_lock:
                cursor = connection.cursor()
                inserted = _inserted(cursor, self._sql["?"], params)
                cursor.close()
                connection.commit()
                return inserted
        finally:
            connection.close()


def _inserted(cursor: Any, sql: str, params: tuple) -> bool:
    cursor.execute(sql, params)
    return bool(cursor.rowcount == 1)


class SingleRowSelect:
    """A Core SELECT of at most one row, run in autocommit: each call sees what is committed when it runs, as a
    statement of a READ COMMITTED transaction would. Its parameters and columns are converted as SQLAlchemy
    converts them (its type's bind and result processors); it is compiled once per dialect."""

    def __init__(self, statement: Select) -> None:
        self._statement = statement
        self._row = namedtuple("_row", list(statement.selected_columns.keys()))  # type: ignore[misc]
        self._compiled: dict[str, _CompiledSelect] = {}

    def __call__(self, engine: Engine, params: dict[str, Any]) -> Any:
        """The row (its columns as attributes), or None."""
        dialect = engine.dialect
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = _CompiledSelect(self._statement, dialect)
        values = compiled.parameters(params)
        with _driver_errors_wrapped(dialect, compiled.sql):
            if dialect.name == "postgresql":
                raw = _on_postgresql(engine, lambda cursor: _first(cursor, compiled.sql, values))
            else:
                connection = engine.raw_connection()
                try:
                    raw = _first(connection.cursor(), compiled.sql, values)
                finally:
                    connection.close()
        if raw is None:
            return None
        return self._row(*(convert(value) if convert else value
                           for convert, value in zip(compiled.converters, raw, strict=True)))


class _CompiledSelect:
    def __init__(self, statement: Select, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self._compiled = compiled
        self._positional = compiled.positiontup
        self._bind_processors = {name: bind.type.dialect_impl(dialect).bind_processor(dialect)
                                 for name, bind in compiled.binds.items()}
        self.converters: list[Callable[[Any], Any] | None] = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns]

    def parameters(self, params: dict[str, Any]) -> Any:
        values = self._compiled.construct_params(params)
        processed = {name: (process(value) if (process := self._bind_processors.get(name)) else value)
                     for name, value in values.items()}
        if self._positional is not None:
            return tuple(processed[name] for name in self._positional)
        return processed


def _first(cursor: Any, sql: str, values: Any) -> tuple | None:
    cursor.execute(sql, values)
    row = cursor.fetchone()
    cursor.close()
    return tuple(row) if row is not None else None


@contextmanager
def _driver_errors_wrapped(dialect: Dialect, sql: str) -> Iterator[None]:
    """The driver's own error, wrapped as SQLAlchemy wraps it everywhere else (OperationalError ...), so that
    callers handle one family of database errors."""
    try:
        yield
    except dialect.loaded_dbapi.Error as error:
        raise DBAPIError.instance(sql, None, error, dialect.loaded_dbapi.Error, hide_parameters=True,
                                  dialect=dialect) from error


def _on_postgresql(engine: Engine, run: Callable[[Any], Result]) -> Result:
    """`run(cursor)` on a connection of the unpinged pool, in autocommit; once more on a fresh connection if the
    first was dead."""
    pool = _unpinged_pool(engine)
    for attempt in (1, 2):
        connection = pool.connect()
        driver = connection.driver_connection
        assert driver is not None  # None only once the connection is invalidated or closed
        try:
            if not driver.autocommit:  # a new connection; this pool's stay in autocommit
                driver.autocommit = True
            return run(connection.cursor())
        except engine.dialect.loaded_dbapi.Error as error:
            if attempt == 2 or not engine.dialect.is_disconnect(error, driver, None):
                raise
            # The server went away (a restart): every idle connection is as dead as this one.
            connection.invalidate(error)
            pool.dispose()
        finally:
            connection.close()
    raise AssertionError("unreachable: the second attempt returns or raises")


_UNPINGED: weakref.WeakKeyDictionary[Engine, Pool] = weakref.WeakKeyDictionary()
_UNPINGED_LOCK = threading.Lock()


def _unpinged_pool(engine: Engine) -> Pool:
    """A second pool for `engine` (same connection settings and events) that does not ping on checkout and
    keeps every connection it opens; disposed with the engine."""
    with _UNPINGED_LOCK:
        pool = _UNPINGED.get(engine)
        if pool is None:
            pool = _kept_connections(engine.pool.recreate())
            pool._pre_ping = False  # recreate() copies every setting; this is the one to change
            _UNPINGED[engine] = pool
            event.listen(engine, "engine_disposed", lambda *_: pool.dispose())
        return pool


def _kept_connections(pool: Pool) -> Pool:
    """The same pool with its overflow made permanent: as many connections as before, none closed on return.
    A burst of webhooks on more threads than pool_size would otherwise open and close a connection per
    request (a new server process each on PostgreSQL), at the moment the server is busiest."""
    if not isinstance(pool, QueuePool) or pool._max_overflow <= 0:
        return pool
    return QueuePool(pool._creator, pool_size=pool.size() + pool._max_overflow, max_overflow=0, use_lifo=pool._pool.use_lifo,
                     timeout=pool.timeout(), recycle=pool._recycle, echo=pool.echo,
                     logging_name=pool._orig_logging_name, reset_on_return=pool._reset_on_return,
                     _dispatch=pool.dispatch, dialect=pool._dialect)
