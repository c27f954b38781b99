"""`flask db upgrade` and `db.create_all()` build the same database, down to what Alembic's comparison leaves out:
CHECK constraints, server defaults, partial and covering indexes, the full-text search tables and triggers. Tests
run on databases made by `create_all`, deployments on databases made by the migrations: a rule only one of them
holds is a rule the tests see and a deployment does not keep (or the other way round)."""
from __future__ import annotations

import re

from flask_migrate import upgrade
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from civicwatch.extensions import db

Item = tuple[str | int | None, ...]


def _spaces(sql: str | None) -> str:
    return re.sub(r"\s+", " ", (sql or "").replace('"', "")).strip()


def _sqlite_schema(connection: Connection) -> set[Item]:
    found: set[Item] = set()
    inspector = inspect(connection)
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        for _cid, name, type_, notnull, default, pk, hidden in connection.exec_driver_sql(
                f'PRAGMA table_xinfo("{table}")'):
            found.add(("column", table, name, type_.upper(), notnull, _spaces(default), pk, hidden))
        for row in connection.exec_driver_sql(f'PRAGMA foreign_key_list("{table}")'):
            found.add(("foreign key", table, *row[2:7]))
        for check in inspector.get_check_constraints(table):
            found.add(("check", table, check["name"], _spaces(check["sqltext"])))
        for unique in inspector.get_unique_constraints(table):
            found.add(("unique", table, unique["name"], *unique["column_names"]))
    for type_, name, table, sql in connection.exec_driver_sql(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('index', 'trigger', 'view') "
            "AND name NOT LIKE 'sqlite_autoindex%'"):
        found.add((type_, table, name, _spaces(sql)))
    return found


def _postgresql_schema(connection: Connection) -> set[Item]:
    queries = {
        "column": "SELECT table_name, column_name, data_type, character_maximum_length, is_nullable, column_default "
                  "FROM information_schema.columns WHERE table_schema = current_schema()",
        "index": "SELECT tablename, indexname, regexp_replace(indexdef, ' ON [a-z_0-9]+\\.', ' ON ') "
                 "FROM pg_indexes WHERE schemaname = current_schema()",
        "constraint": "SELECT c.conrelid::regclass::text, c.conname, c.contype::text, pg_get_constraintdef(c.oid) "
                      "FROM pg_constraint c WHERE c.connamespace = current_schema()::regnamespace",
        "trigger": "SELECT event_object_table, trigger_name, action_timing, event_manipulation, action_statement "
                   "FROM information_schema.triggers WHERE trigger_schema = current_schema()",
        "type": "SELECT typname, typtype::text FROM pg_type WHERE typnamespace = current_schema()::regnamespace "
                "AND typtype IN ('e', 'd')",
    }
    found: set[Item] = set()
    for kind, query in queries.items():
        for row in connection.execute(text(query)):
            if "alembic_version" not in row[0]:
                found.add((kind, *row))
    return found


def _schema() -> set[Item]:
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            return _sqlite_schema(connection)
        return _postgresql_schema(connection)


def _empty_the_database() -> None:
    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
        if connection.dialect.name == "sqlite":  # the full-text tables are no model's: made by DDL events
            for name in connection.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%\\_fts' ESCAPE '\\'"
            ).scalars().all():
                connection.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}"')
    assert _schema() == set()


def test_upgrade_head_builds_exactly_what_create_all_builds(empty_app):
    upgrade()
    migrated = _schema()
    _empty_the_database()
    db.create_all()
    created = _schema()
    assert len(created) > 500  # the comparison saw the schema, not an empty one
    assert sorted(migrated - created) == [], "only in a database made by the migrations"
    assert sorted(created - migrated) == [], "only in a database made by db.create_all()"
