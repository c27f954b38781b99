"""The last two active admins deactivate each other at the same moment: one of them stays an active admin, and the
other is refused with a conflict, never a 500, on SQLite and PostgreSQL. Both requests are signed in and past
every read of theirs before either writes (each waits for the other at its first write to the users table)."""
from __future__ import annotations

import threading
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from civicwatch.accounts.models import Role, User
from civicwatch.extensions import db
from tests.conftest import csrf_token
from tests.threads import meeting_at_first, run_together

LAST_ADMIN = "You cannot deactivate the last active admin."


def _signed_in(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"csrf_token": csrf_token(client), "email": user.email,
                                           "password": "correct horse battery staple"})
    assert response.status_code == 302
    return client


def test_the_last_two_admins_deactivating_each_other_at_once_leave_one_admin(app: Flask, make_user):
    first, second = make_user(Role.ADMIN), make_user(Role.ADMIN)
    assert db.session.scalar(select(func.count()).where(User.role == Role.ADMIN, User.active)) == 2
    requests = []
    for actor, target in ((first, second), (second, first)):
        client = _signed_in(app, actor)
        requests.append((client, target.id, csrf_token(client, "/staff/users")))
    answers: dict[int, Any] = {}

    def deactivate(client: FlaskClient, target_id: int, token: str) -> None:
        threading.current_thread().name = "first-admin" if target_id == second.id else "second-admin"
        with app.app_context():
            response = client.post(f"/staff/users/{target_id}/active", data={"csrf_token": token, "active": "0",
                                                                             "confirmed": "yes"})
        answers[target_id] = (response.status_code, response.get_data(as_text=True))

    with meeting_at_first("UPDATE USERS", {"first-admin", "second-admin"}, db.engine):
        run_together(deactivate, requests, timeout=60)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(User.role == Role.ADMIN, User.active)) == 1
    statuses = sorted(status for status, _ in answers.values())
    assert statuses == [302, 409], statuses
    refused = next(page for status, page in answers.values() if status == 409)
    assert LAST_ADMIN in refused
