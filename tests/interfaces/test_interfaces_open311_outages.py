"""Open311 POST when the database fails at the commit: a client is told "nothing was stored" only when that is
so. A COMMIT whose answer was lost (the connection dropped once it was sent) may have stored the case, and a client
that sent no Idempotency-Key and believed "nothing was stored" would send it again as a second case."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from tests.interfaces.test_interfaces_open311_idempotency import create


@contextmanager
def commit_fails(app: Flask, applied: bool) -> Iterator[list[bool]]:
    """The COMMIT of the transaction that stores a case fails with the driver's OperationalError (other commits,
    such as the api_key's last use, go through); with `applied` the database has committed it and only the
    answer is lost."""
    with app.app_context():
        engine = db.engine
    dialect = engine.dialect
    real_commit = dialect.do_commit
    failed: list[bool] = []
    storing: set[int] = set()

    def note_case(conn, cursor, statement: str, *_) -> None:
        if statement.startswith("INSERT INTO cases "):
            storing.add(id(conn.connection))

    def failing_commit(dbapi_connection) -> None:
        if id(dbapi_connection) not in storing:
            return real_commit(dbapi_connection)
        storing.discard(id(dbapi_connection))
        if applied:
            real_commit(dbapi_connection)
        failed.append(True)
        raise dialect.loaded_dbapi.OperationalError("server closed the connection unexpectedly")

    event.listen(engine, "before_cursor_execute", note_case)
    dialect.do_commit = failing_commit  # type: ignore[method-assign]
    try:
        yield failed
    finally:
        del dialect.do_commit
        event.remove(engine, "before_cursor_execute", note_case)


def stored_cases() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Case))


def description_of(response) -> str:
    return " ".join(error["description"] for error in response.get_json())


def test_a_commit_whose_answer_was_lost_is_not_said_to_have_stored_nothing(app, client, api_key):
    with commit_fails(app, applied=True) as failed:
        response = create(client, api_key)
    assert failed and response.status_code == 503 and response.headers["Retry-After"]
    assert stored_cases() == 1  # the case is there: only the answer was lost
    said = description_of(response)
    assert "nothing was stored" not in said
    assert "may have been stored" in said and "Idempotency-Key" in said


def test_with_a_key_the_client_is_told_to_send_the_same_request_again(app, client, api_key):
    key = str(uuid.uuid4())
    with commit_fails(app, applied=True):
        lost = create(client, api_key, key)
    assert lost.status_code == 503 and "the same Idempotency-Key" in description_of(lost)
    again = create(client, api_key, key)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert stored_cases() == 1


def test_a_request_the_database_refused_before_the_commit_says_nothing_was_stored(app, client, api_key):
    def refuse_the_case(conn, cursor, statement: str, *_) -> None:
        if statement.startswith("INSERT INTO cases "):
            raise OperationalError(statement, {}, Exception("database or disk is full"))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", refuse_the_case)
    try:
        response = create(client, api_key)
    finally:
        event.remove(engine, "before_cursor_execute", refuse_the_case)
    assert response.status_code == 503
    assert stored_cases() == 0
    assert "nothing was stored" in description_of(response)
