"""The database fails at the worst moments of a web report: right after the commit (the citizen still gets the
receipt, the case is stored once), or before it (a 503 with Retry-After that keeps what was typed).

The database is made to fail at the exact point with SQLAlchemy's own events: new connections are refused (as
when the server is down), or every statement and rollback on the open connection fails (as when it died mid-
request). Nothing is mocked above the driver: the requests go through the real app and a real database.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from civicwatch.intake.queries import find_case_by_receipt
from tests.conftest import csrf_token
from tests.intake.conftest import RECEIPT_RE, WHAT_HAPPENED, post_report


def gone(*_: Any, **__: Any) -> None:
    raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))


class DeadDatabase:
    """Makes the app's database fail from a chosen moment on, in one of two ways, until `stop()`.

    - "refused": pooled connections are closed and new ones refused (the server is down);
    - "broken": the connection in use fails every statement and even the rollback (it died mid-request).
    """

    def __init__(self, app: Flask, how: str) -> None:
        self.app, self.how = app, how
        self.hooks: list[tuple[Any, str, Any]] = []
        self.dead = False

    def start(self) -> None:
        if self.dead:
            return
        self.dead = True
        with self.app.app_context():
            engine = db.engine
        if self.how == "refused":
            self._hook(engine, "do_connect", gone)
            engine.pool.dispose()
        else:
            self._hook(engine, "before_cursor_execute", gone)
            self._hook(engine, "rollback", gone)

    def _hook(self, target: Any, name: str, function: Any) -> None:
        event.listen(target, name, function)
        self.hooks.append((target, name, function))

    def stop(self) -> None:
        for target, name, function in self.hooks:
            event.remove(target, name, function)
        self.hooks.clear()
        self.dead = False


@contextmanager
def database_dies_after_the_first_commit(app: Flask, how: str) -> Iterator[DeadDatabase]:
    dead = DeadDatabase(app, how)

    def after_commit(session: Session) -> None:
        dead.start()

    event.listen(Session, "after_commit", after_commit)
    try:
        yield dead
    finally:
        event.remove(Session, "after_commit", after_commit)
        dead.stop()


def stored_cases() -> list[Case]:
    db.session.rollback()
    return list(db.session.scalars(select(Case)))


# ---------------------------------------------------------------- item: the receipt after the commit

@pytest.mark.parametrize("how", ["refused", "broken"])
def test_database_dying_right_after_the_commit_still_shows_the_receipt(client, app, how, caplog):
    token = csrf_token(client, "/report")
    with database_dies_after_the_first_commit(app, how) as dead:
        response = post_report(client, token=token)
        assert dead.dead, "the database was to fail after the commit"
        assert response.status_code == 303 and response.headers["Location"] == "/report/received"
        page = client.get("/report/received")  # the database is still down
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html[:500]
    code = RECEIPT_RE.search(html).group(1)
    cases = stored_cases()
    assert len(cases) == 1 and cases[0].text == WHAT_HAPPENED
    assert cases[0].reference in html
    assert find_case_by_receipt(code).id == cases[0].id
    assert cases[0].body_id is None  # not routed: it waits in the triage queue
    assert code not in caplog.text and WHAT_HAPPENED not in caplog.text

