"""Migration 1f1a72122daf: a temporary password still waiting at the upgrade (set before its time was recorded)
counts from the upgrade, so it ends too; a password of the member's own has no such time."""
from __future__ import annotations

from flask_migrate import upgrade
from sqlalchemy import text

from civicwatch.extensions import db


def test_a_temporary_password_waiting_at_the_upgrade_gets_a_time(empty_app):
    upgrade(revision="a29c7e5bc4dc")
    with db.engine.begin() as connection:
        for user_id, must_change in ((1, True), (2, False)):
            connection.execute(text(
                "INSERT INTO users (id, email, name, password_hash, role, body_id, active, session_token, "
                "password_must_change, created_at) VALUES (:id, :email, 'Staff', 'x', 'triage', NULL, true, 't', "
                ":must_change, CURRENT_TIMESTAMP)"),
                {"id": user_id, "email": f"staff{user_id}@example.org", "must_change": must_change})
    db.session.remove()
    upgrade()
    with db.engine.connect() as connection:
        rows = dict(connection.execute(text("SELECT id, temporary_password_set_at FROM users")).all())
    assert rows[1] is not None and rows[2] is None
