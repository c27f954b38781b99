"""Declarative base with a constraint naming convention, and shared column helpers."""
from __future__ import annotations

import datetime as dt
import enum
import threading
import weakref
from typing import Any

from sqlalchemy import DateTime, Enum, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import Pool
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC. Tests replace the clock via `set_clock`."""
    return _clock()


def _system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


_clock = _system_clock


def set_clock(clock: Any | None) -> None:
    """Swap the clock (a zero-argument callable returning an aware datetime); None restores it."""
    global _clock
    _clock = clock or _system_clock


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as UTC and always gives aware UTC datetimes back (SQLite forgets tz)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def enum_column(enum_cls: type[enum.Enum], name: str) -> Enum:
    """A portable enum: VARCHAR plus a CHECK constraint, values stored as the enum's values."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda cls: [member.value for member in cls],
        validate_strings=True,
    )


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class NulCharacterError(ValueError):
    """Text with a NUL character reached a query; PostgreSQL cannot store or compare it."""


def _has_nul(parameters: Any) -> bool:
    if isinstance(parameters, str):
        return "\x00" in parameters
    if isinstance(parameters, dict):
        return any(_has_nul(value) for value in parameters.values())
    if isinstance(parameters, (list, tuple)):
        return any(_has_nul(value) for value in parameters)
    return False


@event.listens_for(Engine, "before_cursor_execute")
def _refuse_nul_characters(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                           executemany: bool) -> None:
    # One guard for every query on both databases, so a stray NUL in a form or URL is a clear 400
    # everywhere instead of a driver error on PostgreSQL only.
    if _has_nul(parameters):
        raise NulCharacterError("text contains a NUL character")



class SingleRowInsert:
    """`INSERT ... ON CONFLICT (key) DO NOTHING` of one row as its own transaction, on a pooled DBAPI
    connection and without SQLAlchemy's execution layer: for a hot path whose whole work is that one row
    (the SMS webhook). No engine events run, the NUL guard included, so callers pass only checked values:
    str, bytes, int, or aware datetimes (stored as UTCDateTime stores them).

    PostgreSQL: one round trip. The statement runs in autocommit (a client-side switch), on a pool of its
    own that skips the app pool's pre-ping; when a connection is found dead the pool's idle connections are
    thrown away and the row is written on a fresh one, which is what the ping would have done. SQLite: the app's pool, and one lock per process for
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

    def __call__(self, engine: Engine, values: dict[str, Any]) -> None:
        dialect = engine.dialect
        if dialect.name not in self._to_timestamp:
            self._to_timestamp[dialect.name] = UTCDateTime().bind_processor(dialect) or (lambda value: value)
        to_timestamp = self._to_timestamp[dialect.name]
        params = tuple(to_timestamp(value) if isinstance(value, dt.datetime) else value
                       for value in (values[column] for column in self.columns))
        if dialect.name == "postgresql":
            self._insert_postgresql(engine, params)
        else:
            self._insert_sqlite(engine, params)

    def _insert_sqlite(self, engine: Engine, params: tuple) -> None:
        connection = engine.raw_connection()
        try:
            with self._sqlite_lock:
                cursor = connection.cursor()
                cursor.execute(self._sql["?"], params)
                cursor.close()
                connection.commit()
        finally:
            connection.close()

    def _insert_postgresql(self, engine: Engine, params: tuple) -> None:
        pool = _unpinged_pool(engine)
        for attempt in (1, 2):
            connection = pool.connect()
            driver = connection.driver_connection
            assert driver is not None  # None only once the connection is invalidated or closed
            try:
                driver.autocommit = True
                try:
                    connection.cursor().execute(self._sql["%s"], params)
                finally:
                    driver.autocommit = False
                return
            except engine.dialect.loaded_dbapi.Error as error:
                if attempt == 2 or not engine.dialect.is_disconnect(error, driver, None):
                    raise
                # The server went away (a restart): every idle connection is as dead as this one.
                connection.invalidate(error)
                pool.dispose()
            finally:
                connection.close()


_UNPINGED: weakref.WeakKeyDictionary[Engine, Pool] = weakref.WeakKeyDictionary()
_UNPINGED_LOCK = threading.Lock()


def _unpinged_pool(engine: Engine) -> Pool:
    """A second pool for `engine` (same connection settings and events) that does not ping on checkout;
    disposed with the engine."""
    with _UNPINGED_LOCK:
        pool = _UNPINGED.get(engine)
        if pool is None:
            pool = engine.pool.recreate()
            pool._pre_ping = False  # recreate() copies every setting; this is the one to change
            _UNPINGED[engine] = pool
            event.listen(engine, "engine_disposed", lambda *_: pool.dispose())
        return pool
