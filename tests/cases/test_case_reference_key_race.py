"""The reference key on PostgreSQL, drawn for the first case there is: on a connection of its own, committed at
once, never in the transaction of the report that needs it. Two processes filing the first two cases at the same
moment get one key between them, both reports go through (no deadlock, no error to either citizen), and a report
never waits for another transaction that drew the key (drawn in the caller's transaction, the key's row would
stay locked until that transaction ends, and every other first report would wait for all of it, holding its
own rows meanwhile: the order of locks the rest of the code keeps would no longer hold)."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, event, select

from civicwatch import create_app
from civicwatch.cases.models import Case, ReferenceKey
from civicwatch.cases.reference_numbers import Permutation, reference_permutation
from civicwatch.extensions import db
from tests.conftest import make_config, on_postgres
from tests.intake.conftest import post_report

pytestmark = [pytest.mark.postgres_only, pytest.mark.skipif(not on_postgres(), reason="a key drawn on a connection "
                                                                                       "of its own: PostgreSQL's")]


@pytest.fixture
def other_process(database_url, tmp_path, app_config) -> Iterator[Flask]:
    """A second app on the same database, as another gunicorn worker or `deliver` process is: its own pool and
    its own cached key."""
    other = create_app(make_config(database_url, tmp_path, **app_config))
    yield other
    with other.app_context():
        db.engine.dispose()


def engine_of(app: Flask) -> Engine:
    with app.app_context():
        return db.engine


def file_report(app: Flask, outcome: dict[str, Any]) -> None:
    """POST /report, as a citizen would, on a thread of its own."""
    with app.app_context():
        try:
            outcome["status"] = post_report(app.test_client()).status_code
        except Exception as error:  # noqa: BLE001  (the test names it)
            outcome["error"] = repr(error)
        finally:
            db.session.remove()


def stored_key() -> Permutation:
    row = db.session.scalars(select(ReferenceKey)).one()
    return Permutation(row.key, row.shortest_digits)


def test_two_first_reports_at_once_in_two_processes_share_one_key(app, other_process, clock):
    assert db.session.scalar(select(ReferenceKey.id)) is None
    together = threading.Barrier(2, timeout=30)
    met: list[str] = []

    def at_the_draw(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        name = threading.current_thread().name
        if sql.lstrip().upper().startswith("INSERT INTO REFERENCE_KEYS") and name not in met:
            met.append(name)
            together.wait()  # both draw a key at the same moment, each with its case inserted and not committed

    engines = [engine_of(app), engine_of(other_process)]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", at_the_draw)
    outcomes: list[dict[str, Any]] = [{}, {}]
    threads = [threading.Thread(target=file_report, args=(process, outcome), name=name)
               for process, outcome, name in zip((app, other_process), outcomes, ("one", "two"), strict=True)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", at_the_draw)

    assert not any(thread.is_alive() for thread in threads), "a report never finished"
    assert sorted(met) == ["one", "two"]
    assert outcomes == [{"status": 303}, {"status": 303}]
    db.session.expire_all()
    key = stored_key()
    cases = db.session.scalars(select(Case).order_by(Case.id)).all()
    assert len(cases) == 2
    assert [case.reference for case in cases] == [key.reference(case.created_at.year, case.id) for case in cases]
    for process in (app, other_process):  # each process kept the one key, not one it drew itself
        with process.app_context():
            assert reference_permutation() == key


def test_a_report_does_not_wait_for_a_transaction_that_drew_the_key(app, other_process, clock):
    drawn = reference_permutation()  # this transaction stays open until the report is in
    outcome: dict[str, Any] = {}
    reporting = threading.Thread(target=file_report, args=(other_process, outcome))
    reporting.start()
    reporting.join(20)
    finished = not reporting.is_alive()
    db.session.commit()
    reporting.join(20)

    assert finished, "the report waited for the transaction that drew the key"
    assert outcome == {"status": 303}
    db.session.expire_all()
    case = db.session.scalars(select(Case)).one()
    assert stored_key() == drawn
    assert case.reference == drawn.reference(case.created_at.year, case.id)
