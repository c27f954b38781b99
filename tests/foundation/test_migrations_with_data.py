"""`flask db upgrade` of a database that holds data, not an empty one: staff accounts referenced by the audit
log. Batch migrations recreate `users` on SQLite (copy, DROP TABLE users, rename); the app opens every SQLite
connection with PRAGMA foreign_keys=ON, under which DROP TABLE first deletes every row and checks the foreign
keys pointing at them. The upgrade must reach the head with the data kept, whatever the database."""
from __future__ import annotations

import pytest
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from civicwatch.extensions import db

# Deployments last upgraded at these revisions: the next migration recreates `users` in batch on SQLite
# (55b176dba89c drops columns; c4a7e2d91b35 adds identity_custodian with a SQL-expression default).
STARTS = {
    "before-55b176dba89c": ("5c7f749020ab", "failed_logins, ", "0, "),
    "before-c4a7e2d91b35-identity-vault": ("c7a4e2d91b05", "", ""),
}


@pytest.mark.parametrize("start", STARTS, ids=list(STARTS))
def test_upgrade_with_staff_and_audit_entries_reaches_head_and_keeps_them(empty_app, start):
    revision, extra_column, extra_value = STARTS[start]
    upgrade(revision=revision)
    with db.engine.begin() as connection:
        connection.execute(text(
            f"INSERT INTO users (id, email, name, password_hash, role, body_id, active, {extra_column}session_token, "
            f"created_at) VALUES (1, 'admin@example.org', 'Admin', 'x', 'admin', NULL, true, {extra_value}'t', "
            "CURRENT_TIMESTAMP)"))
        connection.execute(text(
            "INSERT INTO audit_entries (seq, created_at, user_id, action, object_type, prev_hash, hash) "
            "VALUES (1, CURRENT_TIMESTAMP, 1, 'user.create', 'users', :zero, :zero)"), {"zero": "0" * 64})
    db.session.remove()
    error = None
    try:
        upgrade()
    except Exception as exc:  # noqa: BLE001 - reported below with what it left behind
        error = exc
    db.engine.dispose()
    with db.engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        users = connection.execute(text("SELECT count(*) FROM users")).scalar() if "users" in tables else None
    leftovers = sorted(name for name in tables if name.startswith("_alembic_tmp"))
    assert error is None, (f"upgrade failed half-way: {type(error).__name__}: {str(error).splitlines()[0]}; "
                           f"left at revision {version}, leftover tables {leftovers}")
    assert users == 1 and not leftovers
