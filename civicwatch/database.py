"""Declarative base with a constraint naming convention, and shared column helpers."""
from __future__ import annotations

import datetime as dt
import enum
import logging
import sqlite3
import weakref
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import DateTime, Enum, MetaData, Select, Table, TableClause, TextClause, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, ExceptionContext
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    SessionTransaction,
    make_transient_to_detached,
    mapped_column,
    scoped_session,
)
from sqlalchemy.sql.util import find_tables
from sqlalchemy.types import TypeDecorator

from civicwatch.sqlite_writes import BUSY_TIMEOUT_SECONDS

# The largest id: id columns are INTEGER, 32 bits on PostgreSQL (SQLite's are wider).
ID_MAX = 2**31 - 1

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


log = logging.getLogger(__name__)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class AppSession(FlaskSession):
    """Flask-SQLAlchemy's session, which looks for the bind key of every mapper and statement it runs (through the
    app context each time) to choose an engine. An app without SQLALCHEMY_BINDS has one engine, and a session
    lives in one app context: its engine is found once."""

    _one_engine: Engine | None = None

    def get_bind(self, mapper: Any | None = None, clause: Any | None = None, bind: Any | None = None,
                 **kwargs: Any) -> Any:
        if bind is None:
            if self._one_engine is not None:
                return self._one_engine
            engines = self._db.engines
            if list(engines) == [None]:
                self._one_engine = engines[None]
                return self._one_engine
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC. Tests replace the clock via `set_clock`."""
    return _clock()


def deployment_date(moment: dt.datetime | None = None, zone: str | None = None) -> dt.date:
    """The date at `moment` (now) in the deployment's time zone (the TIMEZONE setting): "today" as the people
    using the site count it, which is not UTC's date around midnight."""
    return (moment or utcnow()).astimezone(ZoneInfo(zone or deployment_zone())).date()


def deployment_zone() -> str:
    """The TIMEZONE setting (UTC outside an app)."""
    return str(current_app.config.get("TIMEZONE", "UTC")) if has_app_context() else "UTC"


def deployment_midnight(day: dt.date, zone: str | None = None) -> dt.datetime:
    """When `day` begins in the deployment's time zone, in UTC: the boundary staff mean by "from that day"."""
    return dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(zone or deployment_zone())).astimezone(dt.UTC)


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
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # Other processes' writers wait this long; this process's writers queue in civicwatch.sqlite_writes first.
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
    # Every commit is on disk before it returns, so an acknowledged report survives a power cut (NORMAL alone may
    # lose the last commits: they survive a crash of the process, not of the machine). A connection to a file
    # syncs the log itself after each commit, outside the write lock and shared by the writers that commit
    # meanwhile (civicwatch.wal_sync); any other, FULL: SQLite syncs inside the commit.
    level = "NORMAL" if getattr(dbapi_connection, "wal_sync", None) is not None else "FULL"
    cursor.execute(f"PRAGMA synchronous={level}")
    # Deleted and overwritten content is zeroed in the file, not left in free pages: erased cases (retention) must
    # not be readable from a copy of it.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


@event.listens_for(Engine, "handle_error")
def _keep_values_out_of_error_messages(context: ExceptionContext) -> None:
    """PostgreSQL's DETAIL quotes values: a refused row whole ("Failing row contains (...)": a complaint's words,
    keyed hashes), a duplicate key's value. The error's message, and so every traceback logged, would carry them
    (hide_parameters hides only the statement's parameters): the message keeps the primary text, which names the
    constraint; the detail stays readable on the error's diag."""
    original = context.original_exception
    diag = getattr(original, "diag", None)
    if diag is None or not (diag.message_detail or diag.message_hint or diag.context):
        return
    primary = diag.message_primary or type(original).__name__
    original.args = (primary,)
    wrapped = context.sqlalchemy_exception
    if isinstance(wrapped, DBAPIError) and wrapped.args:
        wrapped.args = (f"({type(original).__module__}.{type(original).__name__}) {primary}", *wrapped.args[1:])


def lost_to_another_transaction(error: OperationalError) -> bool:
    """PostgreSQL rolled the transaction back to let another go on (a deadlock, a serialization failure:
    SQLSTATE class 40), rather than the database having gone away."""
    return str(getattr(error.orig, "sqlstate", None) or "").startswith("40")


def refused_for_its_data(error: OperationalError) -> bool:
    """PostgreSQL refused a statement for what it was given to store, past one of its limits (SQLSTATE class 54:
    an index entry too large, too many columns...), not because the database is away or busy: the same data fails
    every try, so a worker counts it against the report or text, as any other failure of its own."""
    return str(getattr(error.orig, "sqlstate", None) or "").startswith("54")


def connection_lost(error: BaseException) -> bool:
    """The database connection went away (a restart, a failover, the network): the error is the database's, not
    the data's, and no savepoint can keep the transaction; the caller's rollback and retry must see it."""
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


class DatabaseUnreachable(RuntimeError):
    """No connection to the database could be opened: the message names its address and what to check."""


def unreachable_message(engine: Engine, error: BaseException) -> str:
    """One line for an operator: where the database is (never the password), why the driver gave up, what to check.
    The driver's own message ends a traceback of forty lines, and names a host but not which setting to fix."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        where = f"SQLite file {url.database or '(in memory)'}"
        check = "check that its folder exists and this user can write to it, and that DATABASE_URL names the right file"
    elif "@" in f"{url.host or ''}{url.database or ''}":
        # A password with an unescaped "@" is cut at it, and the rest of it read as the host and the database: the
        # driver's words may repeat that host, so nothing of the address is said.
        return ("The database cannot be reached, and DATABASE_URL reads as having an \"@\" after the password's: "
                "write an \"@\" (or \"/\", \":\") in the user or password as %40 (%2F, %3A), then check that "
                "PostgreSQL is running and accepts connections.")
    else:
        where = f"{url.host or 'localhost'}:{url.port or 5432} (database {url.database}, user {url.username})"
        check = ("check that PostgreSQL is running and accepts connections there, and that DATABASE_URL names the "
                 "right host, port, database, user and password")
    reason = _driver_reason(getattr(error, "orig", None) or error)
    if url.password:
        reason = reason.replace(str(url.password), "***")
    return f"The database at {where} cannot be reached ({reason}): {check}."


def _driver_reason(error: BaseException) -> str:
    """The driver's cause, on one line: psycopg writes "connection failed: connection to server at ... failed:
    Connection refused" and a hint below it."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    reason = next((line for line in lines if "failed:" in line), lines[0] if lines else type(error).__name__)
    return reason.rsplit("failed:", 1)[-1].strip() or type(error).__name__


def check_reachable(engine: Engine) -> None:
    """DatabaseUnreachable when no connection to `engine`'s database can be opened."""
    try:
        with engine.connect():
            pass
    except (OperationalError, InterfaceError) as exc:
        raise DatabaseUnreachable(unreachable_message(engine, exc)) from exc


class NulCharacterError(ValueError):
    """Text with a NUL character reached a query; PostgreSQL cannot store or compare it."""


def _has_nul(parameters: Any) -> bool:
    # A loop over a stack rather than a recursion with a generator per level: it runs for every statement, on
    # every value of it (an executemany's included).
    waiting = [parameters]
    while waiting:
        value = waiting.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            waiting.extend(value.values())
        elif isinstance(value, (list, tuple)):
            waiting.extend(value)
    return False


@event.listens_for(Engine, "before_cursor_execute")
def _refuse_nul_characters(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                           executemany: bool) -> None:
    # One guard for every query on both databases, so a stray NUL in a form or URL is a clear 400
    # everywhere instead of a driver error on PostgreSQL only.
    if _has_nul(parameters):
        raise NulCharacterError("text contains a NUL character")


# The tables each statement object touches. Statements are immutable, and the hot paths run module constants
# again and again: walking one is worth doing once. Weak keys, so a statement built for one query goes with it.
_TABLES_OF: weakref.WeakKeyDictionary[Any, set[TableClause]] = weakref.WeakKeyDictionary()


def touches_table(statement: Any, table: Table) -> bool:
    """Whether a statement about to run reads or writes `table` (a textual one: whether it names it)."""
    if isinstance(statement, TextClause):
        return table.name in statement.text
    tables = _TABLES_OF.get(statement)
    if tables is None:
        tables = _TABLES_OF[statement] = set(find_tables(statement, check_columns=True, include_crud=True))
    return table in tables


def within_transaction(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    """Whether `transaction` is `ended` or a savepoint inside it: what a rollback of `ended` undid."""
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


_INSERTED_KEY = "civicwatch.rows_inserted"


def add_inserted(session: Session, row: Any) -> None:
    """Add to `session`, persistent, a mapped object whose row a Core INSERT just wrote (its columns set as a flush
    would have set them). A flush's new objects leave the session when the savepoint or transaction that wrote
    them is rolled back; such an object would stay, naming a row that is gone, and on SQLite the next INSERT may
    take its id again. So it is remembered with its transaction, and expunged as a flushed one would be."""
    make_transient_to_detached(row)
    session.add(row)
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_INSERTED_KEY, []).append((row, transaction))


@event.listens_for(Session, "after_soft_rollback")
def _expunge_rows_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    # Called for a savepoint and for a whole transaction, after the transaction has ended (after_transaction_end
    # comes first): so the list is dropped here and at a commit, not when a transaction ends.
    inserted: list[tuple[Any, SessionTransaction | None]] = session.info.get(_INSERTED_KEY, [])
    kept = []
    for row, transaction in inserted:
        if not within_transaction(transaction, previous_transaction):
            kept.append((row, transaction))
        elif row in session:
            session.expunge(row)
    inserted[:] = kept
    if previous_transaction.parent is None:
        session.info.pop(_INSERTED_KEY, None)


@event.listens_for(Session, "after_commit")
def _forget_rows_inserted(session: Session) -> None:
    if session.get_nested_transaction() is None:  # the transaction's commit, not a savepoint's release
        session.info.pop(_INSERTED_KEY, None)


def rollback_quietly(session: Session | scoped_session[Any]) -> None:
    """Roll back, or, when the connection died and even the rollback fails, drop the connection. Never raises:
    for code that runs after a commit, which must not turn a stored change into an error."""
    try:
        session.rollback()
    except Exception as exc:
        log.warning("rollback failed (%s); dropping the database connection", type(exc).__name__)
        _invalidate(session)


def close_quietly(session: Session | scoped_session[Any]) -> None:
    """End the session at the end of a request; a dead connection is dropped instead of raising."""
    try:
        session.close()
    except Exception as exc:
        log.warning("closing the database session failed (%s); dropping the connection", type(exc).__name__)
        _invalidate(session)


def _invalidate(session: Session | scoped_session[Any]) -> None:
    try:
        (session() if isinstance(session, scoped_session) else session).invalidate()
    except Exception as exc:  # nothing more can be done with a connection that is gone
        log.warning("dropping the database connection failed too (%s)", type(exc).__name__)


def upsert_insert(session: Session | scoped_session[Any]) -> Any:
    """The dialect's INSERT, which has ON CONFLICT (PostgreSQL and SQLite spell it alike)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def run_once(candidates: Select[Any], dialect: str) -> Any:
    """`candidates` (one column) as the IN list of an UPDATE or DELETE, evaluated once. PostgreSQL may run a
    subquery inside IN again for every row the statement scans (a nested-loop semi join, chosen when the
    statistics say the table is nearly empty, as a queue's usually is); a LIMIT ... FOR UPDATE SKIP LOCKED
    subquery then claims more rows than its LIMIT. A MATERIALIZED CTE is run once. Not on SQLite, which runs
    such a subquery once anyway, and whose driver opens no transaction for a statement that starts with WITH."""
    if dialect != "postgresql":
        return candidates.scalar_subquery()
    chosen = candidates.cte("chosen").prefix_with("MATERIALIZED")
    return select(*chosen.c)
