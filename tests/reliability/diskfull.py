"""A SQLite database whose disk is full: every connection is held to the pages the file has now
(`PRAGMA max_page_count`) after VACUUM has removed its free pages, so any write that needs one more page fails
with SQLITE_FULL, as on a full disk."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event

from civicwatch.extensions import db

NO_LIMIT = 1_073_741_823


class FullDisk:
    def __init__(self) -> None:
        self.full = True

    def __call__(self, dbapi_connection: Any, record: Any, proxy: Any = None) -> None:
        cursor = dbapi_connection.cursor()
        pages = cursor.execute("PRAGMA page_count").fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages if self.full else NO_LIMIT}")
        cursor.close()


@contextmanager
def disk_full(app: Flask) -> Iterator[FullDisk]:
    """Full for the duration (or until `.full = False`: space freed); space is back afterwards."""
    with app.app_context():
        engine = db.engine
        db.session.remove()
    full = FullDisk()
    engine.pool.dispose()
    with engine.connect() as connection:  # no free pages left inside the file either
        connection.exec_driver_sql("VACUUM")
    event.listen(engine, "checkout", full)
    try:
        yield full
    finally:
        full.full = False
        event.remove(engine, "checkout", full)
        engine.pool.dispose()
