"""Refusing schema downgrades that would destroy data, unless the operator says so explicitly.

A downgrade that drops tables is a normal step in development and a disaster in production: `flask db
downgrade base` would silently delete every case and the audit log. Migrations that drop tables holding data
call `refuse_to_drop_data` first; `flask db downgrade --x-arg force=yes ...` goes ahead after a backup.
"""
from __future__ import annotations

from collections.abc import Iterable

from alembic import context
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

FORCE_ARGUMENT = "force"


def downgrade_forced() -> bool:
    return context.get_x_argument(as_dictionary=True).get(FORCE_ARGUMENT, "").lower() in {"yes", "true", "1"}


def rows_that_would_go(connection: Connection, tables: Iterable[str]) -> dict[str, int]:
    present = set(inspect(connection).get_table_names())
    counts = {}
    for table in tables:
        if table in present:
            count = connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar() or 0
            if count:
                counts[table] = int(count)
    return counts


def refuse_to_drop_data(connection: Connection, tables: Iterable[str]) -> None:
    """Raise, naming what would be lost, when any of `tables` holds rows and the downgrade is not forced."""
    if downgrade_forced():
        return
    counts = rows_that_would_go(connection, tables)
    if counts:
        lost = ", ".join(f"{count:,} rows of {table}" for table, count in sorted(counts.items()))
        raise RuntimeError(
            f"Refusing to downgrade: it would delete {lost}. Back up the database first; to go ahead anyway "
            f"run the same command with --x-arg {FORCE_ARGUMENT}=yes (flask db downgrade --x-arg force=yes ...)."
        )
