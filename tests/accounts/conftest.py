"""Helpers for the accounts tests: sign-in attempts from a chosen network, authenticator codes."""
from __future__ import annotations

import pyotp
from flask.testing import FlaskClient

from civicwatch.accounts.models import User
from civicwatch.crypto import encrypt_json
from civicwatch.database import utcnow
from civicwatch.extensions import db
from tests.conftest import PASSWORD, csrf_token


def attempt_sign_in(client: FlaskClient, email: str, password: str = PASSWORD, address: str = "127.0.0.1"):
    """One POST to /login as sent from `address`."""
    return client.post("/login", data={"csrf_token": csrf_token(client), "email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def give_authenticator(user: User, secret: str | None = None) -> str:
    """Scene setting: the user has an authenticator app set up with `secret` (no code used yet)."""
    secret = secret or pyotp.random_base32(length=32)
    db.session.get(User, user.id).totp_secret_encrypted = encrypt_json({"secret": secret, "last_step": None})
    db.session.commit()
    return secret


def code_now(secret: str) -> str:
    return pyotp.TOTP(secret).at(utcnow())


def wrong_codes(secret: str, count: int) -> list[str]:
    """Codes that are wrong now and in the steps either side."""
    totp = pyotp.TOTP(secret)
    now = utcnow().timestamp()
    valid = {totp.at(now + delta) for delta in (-30, 0, 30)}
    return [code for code in (f"{n:06d}" for n in range(100_000, 100_000 + count + 3)) if code not in valid][:count]


def verify_code(client: FlaskClient, code: str):
    return client.post("/login/verify", data={"csrf_token": csrf_token(client, "/login/verify"), "code": code})
