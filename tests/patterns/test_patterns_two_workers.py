"""Pattern detection run by two `deliver` workers at once (both started together by a deploy: every
job runs at a worker's start). Real database, real threads each with its own app context and session, as two
worker processes would have."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine, func, select, text

from civicwatch.audit.operations import _CHAIN_LOCK_ID
from civicwatch.extensions import db
from civicwatch.patterns.models import PatternAlert
from civicwatch.patterns.sweep import detect_patterns
from tests.conftest import on_postgres
from tests.patterns.test_pattern_alerts import FORCE, allege, make_subject


@pytest.fixture
def app_config(app_config):
    app_config["PATTERN_RULES"] = (FORCE,)
    return app_config


class HeldWriters:
    """Hold back every writer's commit from outside the workers, as a busy database does for a moment: on
    PostgreSQL the audit chain's advisory lock (taken at each commit), on SQLite the one write lock."""

    def __init__(self, url: str, engine_options: dict) -> None:
        self.engine = create_engine(url, **{k: v for k, v in engine_options.items() if k == "connect_args"})
        self.connection = self.engine.connect()
        if on_postgres():
            self.connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _CHAIN_LOCK_ID})
        else:
            self.connection.exec_driver_sql("BEGIN IMMEDIATE")

    def wait_for(self, writers: int) -> None:
        if not on_postgres():
            time.sleep(3)  # both workers have read and are queued behind the write lock (busy timeout 10 s)
            return
        deadline = time.monotonic() + 30
        with self.engine.connect() as probe:
            while time.monotonic() < deadline:
                # At the audit chain's lock, or (the second worker) at detection's own.
                waiting = probe.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                            "AND NOT granted"))
                if waiting >= writers:
                    return
                time.sleep(0.05)
        raise AssertionError("the workers never reached their commit")

    def release(self) -> None:
        if on_postgres():
            self.connection.rollback()
        else:
            self.connection.exec_driver_sql("COMMIT")
        self.connection.close()
        self.engine.dispose()


def test_two_workers_detecting_patterns_at_once_raise_one_alert(app, clock, database_url):
    subject = make_subject()
    for days_ago in (1, 2, 3):
        allege(subject, clock.now, days_ago)
    errors: list[BaseException] = []

    def worker() -> None:
        with app.app_context():
            try:
                detect_patterns()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    held = HeldWriters(*database_url)
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        held.wait_for(2)
    finally:
        held.release()
    for thread in threads:
        thread.join(60)
    db.session.expire_all()
    alerts = db.session.scalar(select(func.count()).select_from(PatternAlert))
    assert alerts == 1, f"{alerts} alerts for one cluster (worker errors: {errors!r})"
