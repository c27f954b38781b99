"""A hot path's one write: a raw single-row `INSERT ... ON CONFLICT DO NOTHING`, outside the ORM session."""
from __future__ import annotations

import datetime as dt
import threading
import weakref
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import Pool, QueuePool

from civicwatch.database import UTCDateTime


class SingleRowInsert:
    """`INSERT ... ON CONFLICT (key) DO NOTHING` of one row as its own transaction, on a pooled DBAPI
    connection and without SQLAlchemy's execution layer: for a hot path whose whole work is that one row
    (the SMS webhook, a queued web report). No engine events run, the NUL guard included, so callers pass only checked values:
    str, bytes, int, or aware datetimes (stored as UTCDateTime stores them).

    PostgreSQL: one round trip. The statement runs in autocommit (a client-side switch, made once per
    connection), on a pool of its own that skips the app pool's pre-ping; when a connection is found dead the
    pool's idle connections are thrown away and the row is written on a fresh one, which is what the ping would have done. SQLite: the app's pool, and one lock per process for
    the write, so that threads queue on it instead of sleeping in SQLite's busy handler.
    """

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
        try:
            if dialect.name == "postgresql":
                return self._insert_postgresql(engine, params)
            return self._insert_sqlite(engine, params)
        except dialect.loaded_dbapi.Error as error:
            # The driver's own error, wrapped as SQLAlchemy wraps it everywhere else (OperationalError ...),
            # so that callers handle one family of database errors.
            raise DBAPIError.instance(self._sql["?"], None, error, dialect.loaded_dbapi.Error,
                                      hide_parameters=True, dialect=dialect) from error

    def _insert_sqlite(self, engine: Engine, params: tuple) -> bool:
        connection = engine.raw_connection()
        try:
            with self._sqlite_lock:
                cursor = connection.cursor()
                cursor.execute(self._sql["?"], params)
                inserted = cursor.rowcount == 1
                cursor.close()
                connection.commit()
                return inserted
        finally:
            connection.close()

    def _insert_postgresql(self, engine: Engine, params: tuple) -> bool:
        pool = _unpinged_pool(engine)
        for attempt in (1, 2):
            connection = pool.connect()
            driver = connection.driver_connection
            assert driver is not None  # None only once the connection is invalidated or closed
            try:
                if not driver.autocommit:  # a new connection; this pool's stay in autocommit
                    driver.autocommit = True
                cursor = connection.cursor()
                cursor.execute(self._sql["%s"], params)
                return bool(cursor.rowcount == 1)
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
