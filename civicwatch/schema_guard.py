"""The database's schema and the code's: refusing downgrades that would destroy data, and refusing to run on a
database out of step with the code.

A downgrade that drops tables is a normal step in development and a disaster in production: `flask db
downgrade base` would silently delete every case and the audit log. Migrations that drop tables holding data
call `refuse_to_drop_data` first; `flask db downgrade --x-arg force=yes ...` goes ahead after a backup.

Code started before `flask db upgrade` ran, or still running after a newer release upgraded the database, would
read and write columns that are not there (or not as it knows them): pages answer 503 and the delivery worker
refuses to start until the two are in step (`schema_out_of_step`).
"""
from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

from alembic import context
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import Flask, request
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from civicwatch.extensions import db

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"

FORCE_ARGUMENT = "force"
IN_STEP = "civicwatch.schema_in_step"


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


class SchemaOutOfStep(RuntimeError):
    """The database's schema is not the one this code's migrations end at."""


@functools.cache
def _scripts() -> ScriptDirectory:
    config = AlembicConfig(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def _known(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except CommandError:
        return False


def schema_out_of_step(connection: Connection) -> str | None:
    """What is wrong and what to do, or None when the database is at this code's head. A database without a
    version is taken as it is: made by db.create_all() (the tests'), or not made yet (pages that need no table
    still answer)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    current = set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    heads = set(_scripts().get_heads())
    if current == heads:
        return None
    at, head = ", ".join(sorted(current)) or "none", ", ".join(sorted(heads))
    if all(_known(revision) for revision in current):
        return f"The database is at revision {at}, behind this code ({head}): run `flask db upgrade`."
    return (f"The database is at revision {at}, which this code does not know: a newer release upgraded it "
            f"(this code expects {head}, and its `flask db upgrade` cannot go back). Run the newer release.")


def database_not_made(engine: Engine) -> bool:
    """Neither the migrations' version table nor the cases table: `flask db upgrade` has not run yet."""
    with engine.connect() as connection:
        tables = inspect(connection)
        return not tables.has_table("alembic_version") and not tables.has_table("cases")


def refuse_schema_out_of_step(engine: Engine) -> None:
    with engine.connect() as connection:
        problem = schema_out_of_step(connection)
    if problem is not None:
        raise SchemaOutOfStep(problem)


def register_schema_check(app: Flask) -> None:
    """Every request first checks the schema is in step: one query per request until it is, none after (a
    release upgrades the database before its code starts)."""

    @app.before_request
    def refuse_requests_while_out_of_step() -> None:
        if app.extensions.get(IN_STEP):
            return
        if request.routing_exception is not None:
            # A Host outside TRUSTED_HOSTS or a path no route has: answered without the database (whose error
            # page could not be made for a foreign host).
            return
        refuse_schema_out_of_step(db.engine)  # SchemaOutOfStep: a 503 (civicwatch.errors), the reason logged
        app.extensions[IN_STEP] = True
