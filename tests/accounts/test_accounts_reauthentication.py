"""A signed-in session alone cannot change the account's keys: the password page backs off wrong current
passwords, and replacing the authenticator needs the password and a code from the current one."""
from __future__ import annotations

import re

import argon2
from sqlalchemy import select

from civicwatch.accounts.models import Role, User
from civicwatch.audit.models import AuditEntry
from civicwatch.crypto import decrypt_json
from civicwatch.extensions import db
from tests.accounts.conftest import attempt_sign_in, code_now, give_authenticator, wrong_codes
from tests.accounts.test_accounts_sign_in_backoff import held_elsewhere
from tests.conftest import PASSWORD, csrf_token_from

NEW_PASSWORD = "an entirely new passphrase"


def signed_in(app, user: User):
    client = app.test_client()
    assert attempt_sign_in(client, user.email).status_code == 302
    return client


def change_password(client, current: str):
    page = client.get("/account/password").get_data(as_text=True)
    return client.post("/account/password", data={"csrf_token": csrf_token_from(page), "current_password": current,
                                                   "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})


def rebind(client, current_password: str | None, current_code: str | None = None):
    """Post the authenticator page with the new app's code; returns (response, the new app's secret)."""
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    data = {"csrf_token": csrf_token_from(page), "code": code_now(secret)}
    if current_password is not None:
        data["current_password"] = current_password
    if current_code is not None:
        data["current_code"] = current_code
    return client.post("/account/two-factor", data=data), secret


def stored_secret(user: User) -> str | None:
    db.session.expire_all()
    encrypted = db.session.get(User, user.id).totp_secret_encrypted
    return decrypt_json(encrypted)["secret"] if encrypted else None


def actions(user: User) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == str(user.id))
                                   .order_by(AuditEntry.seq)))


# ---------------------------------------------------------------- /account/password

def test_wrong_current_passwords_slow_down_then_block(app, make_user, clock):
    user = make_user(Role.TRIAGE)
    client = signed_in(app, user)
    assert [change_password(client, "wrong guess number").status_code for _ in range(3)] == [400, 400, 400]
    blocked = change_password(client, PASSWORD)
    assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "5"
    for _ in range(app.config["LOGIN_LOCKOUT_AFTER"] - 3):
        clock.advance(minutes=6)
        assert change_password(client, "wrong guess again").status_code == 400
    clock.advance(minutes=6)
    assert change_password(client, PASSWORD).status_code == 429
    assert actions(user).count("user.reauth_failed") == app.config["LOGIN_LOCKOUT_AFTER"]
    clock.advance(minutes=20)  # 26 of the 30 minutes
    assert change_password(client, PASSWORD).status_code == 429
    clock.advance(minutes=5)
    assert change_password(client, PASSWORD).status_code == 302


def test_another_session_shares_the_count(app, make_user, clock):
    user = make_user(Role.TRIAGE)
    first, second = signed_in(app, user), signed_in(app, user)
    for _ in range(3):
        change_password(first, "wrong guess number")
    assert change_password(second, PASSWORD).status_code == 429


# ---------------------------------------------------------------- /account/two-factor

def test_first_enrolment_needs_the_password(app, make_user, clock):
    user = make_user(Role.TRIAGE)
    client = signed_in(app, user)
    response, _ = rebind(client, current_password=None)
    assert response.status_code == 400 and stored_secret(user) is None
    response, _ = rebind(client, current_password="not my password")
    assert response.status_code == 400 and "current password is not correct" in response.get_data(as_text=True)
    assert stored_secret(user) is None
    response, secret = rebind(client, current_password=PASSWORD)
    assert response.status_code == 302 and stored_secret(user) == secret
    assert "user.totp_enrol" in actions(user)


def test_replacing_the_authenticator_needs_a_code_from_the_current_one(app, make_user, clock):
    user = make_user(Role.TRIAGE)
    old = give_authenticator(user)
    client = app.test_client()
    attempt_sign_in(client, user.email)
    client.post("/login/verify", data={"csrf_token": csrf_token_from(client.get("/login/verify").get_data(
        as_text=True)), "code": code_now(old)})
    assert client.get("/staff/").status_code == 200
    clock.advance(seconds=30)

    page = client.get("/account/two-factor").get_data(as_text=True)
    assert 'name="current_code"' in page
    response, _ = rebind(client, PASSWORD, current_code=None)
    assert response.status_code == 400 and stored_secret(user) == old
    response, _ = rebind(client, PASSWORD, current_code=wrong_codes(old, 1)[0])
    assert response.status_code == 400 and "current authenticator app is not right" in response.get_data(as_text=True)
    assert stored_secret(user) == old
    response, secret = rebind(client, PASSWORD, current_code=code_now(old))
    assert response.status_code == 302 and stored_secret(user) == secret
    enrol = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.totp_enrol")).one()
    assert enrol.after == {"replaced": True}


def test_wrong_current_codes_lock_the_second_factor_and_end_the_session(app, make_user, clock):
    user = make_user(Role.TRIAGE)
    old = give_authenticator(user)
    client = app.test_client()
    attempt_sign_in(client, user.email)
    client.post("/login/verify", data={"csrf_token": csrf_token_from(client.get("/login/verify").get_data(
        as_text=True)), "code": code_now(old)})
    limit = app.config["TOTP_MAX_FAILURES"]
    for code in wrong_codes(old, limit):
        response, _ = rebind(client, PASSWORD, current_code=code)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/staff/").status_code == 302
    assert db.session.get(User, user.id).totp_locked_at is not None and stored_secret(user) == old


def test_no_lock_is_held_while_the_current_password_is_checked(app, make_user, database_url, monkeypatch, clock):
    """As at sign-in: argon2 runs outside SQLite's write lock, which every report and note would wait for."""
    user = make_user(Role.TRIAGE)
    client = signed_in(app, user)
    change_password(client, "wrong guess number")  # the count's row exists: a lock on it would show
    original = argon2.PasswordHasher.verify
    for password in ("wrong guess again", PASSWORD):
        seen = []

        def watching(self, hash_, given, seen=seen):
            seen.append(held_elsewhere(database_url))
            return original(self, hash_, given)

        monkeypatch.setattr(argon2.PasswordHasher, "verify", watching)
        change_password(client, password)
        assert seen == [False], f"a lock was held while {password!r} was checked"
