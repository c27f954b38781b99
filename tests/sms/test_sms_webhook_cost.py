"""What one signed inbound text costs in the request: one INSERT committed on its own, nothing else.

The webhook's latency under load is its commit's wait, so the budget is the statements that reach the
database (read from the driver: SQLite's trace callback, libpq's protocol trace), not only the ORM's: no
session, user or audit read, no audit entry (the worker writes those when it answers the text), no cookie.
"""
from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from civicwatch.audit.models import AuditEntry
from civicwatch.extensions import db
from civicwatch.raw_statements import _unpinged_pool
from civicwatch.sms.models import InboxText
from tests.conftest import on_postgres
from tests.sms.conftest import acknowledged, new_sid, sign

REPORT = "Police in Makeni have held my husband for nine days without charge and we cannot see him."


@contextmanager
def sqlite_statements() -> Iterator[list[str]]:
    """Every statement SQLite runs on connections taken from the app's pool meanwhile."""
    seen: list[str] = []

    def trace(dbapi_connection, record, proxy) -> None:
        dbapi_connection.set_trace_callback(seen.append)

    def untrace(dbapi_connection, record) -> None:
        dbapi_connection.set_trace_callback(None)

    event.listen(db.engine, "checkout", trace)
    event.listen(db.engine, "checkin", untrace)
    try:
        yield seen
    finally:
        event.remove(db.engine, "checkout", trace)
        event.remove(db.engine, "checkin", untrace)


@contextmanager
def postgres_messages() -> Iterator[list[str]]:
    """The names of the protocol messages the client sends (Query, Parse, Bind, Execute ...) on connections
    taken from either pool meanwhile, from libpq's trace."""
    seen: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "libpq.trace"
        with log.open("w") as out:
            def trace(dbapi_connection, record, proxy) -> None:
                dbapi_connection.pgconn.trace(out.fileno())

            def untrace(dbapi_connection, record) -> None:
                dbapi_connection.pgconn.untrace()

            pools = (db.engine.pool, _unpinged_pool(db.engine))
            for pool in pools:
                event.listen(pool, "checkout", trace)
                event.listen(pool, "checkin", untrace)
            try:
                yield seen
            finally:
                for pool in pools:
                    event.remove(pool, "checkout", trace)
                    event.remove(pool, "checkin", untrace)
        # Tab-separated: a timestamp, F (from the client) or B (from the server), the length, the message.
        seen.extend(fields[3] for fields in (line.split("\t") for line in log.read_text().splitlines())
                    if len(fields) > 3 and fields[1] == "F")


def post_text(client):
    params = {"MessageSid": new_sid(), "AccountSid": "AC" + "0" * 32, "From": "+23276123456",
              "To": "+15005550006", "Body": REPORT, "NumMedia": "0"}
    return client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": sign("/sms/inbound", params)})


@pytest.fixture
def orm_statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def count(connection, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    yield seen
    event.remove(db.engine, "before_cursor_execute", count)


def audit_entries() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


def test_a_webhook_request_is_one_insert_and_its_commit_and_sets_no_cookie(client, orm_statements):
    acknowledged(post_text(client))  # the first request of a process opens its pool
    audit_before = audit_entries()
    db.session.commit()
    orm_statements.clear()
    measure = postgres_messages if on_postgres() else sqlite_statements
    with measure() as seen:
        response = post_text(client)
    acknowledged(response)
    assert "Set-Cookie" not in response.headers
    assert orm_statements == []  # no session, user, rate limit or audit read through SQLAlchemy
    if on_postgres():
        # One statement (parsed and executed, or executed as prepared) in autocommit: no BEGIN, no COMMIT.
        assert [name for name in seen if name in ("Query", "Execute")] == ["Execute"], seen
    else:
        assert [statement.split()[0] for statement in seen] == ["BEGIN", "INSERT", "COMMIT"], seen
        assert seen[1].startswith("INSERT INTO sms_inbox") and "ON CONFLICT (message_sid) DO NOTHING" in seen[1]
    assert db.session.scalar(select(func.count()).select_from(InboxText)) == 2
    assert audit_entries() == audit_before  # written by the worker when it answers the text


@pytest.mark.postgres_only
@pytest.mark.skipif(not on_postgres(), reason="the app's PostgreSQL pool (SQLite's in-memory test database has one "
                                              "connection)")
def test_the_webhook_pool_keeps_the_connections_of_a_burst_larger_than_pool_size(app):
    """Returned connections beyond pool_size used to be closed: each such webhook then started a new
    PostgreSQL backend. Every connection of a burst is kept for the next one."""
    pool = _unpinged_pool(db.engine)
    burst = [pool.connect() for _ in range(db.engine.pool.size() + 3)]
    backends = {connection.driver_connection.info.backend_pid for connection in burst}
    for connection in burst:
        connection.close()
    again = [pool.connect() for _ in range(len(burst))]
    assert {connection.driver_connection.info.backend_pid for connection in again} == backends
    for connection in again:
        connection.close()
