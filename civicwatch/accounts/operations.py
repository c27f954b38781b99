"""Staff account operations. They flush; the caller commits."""
from __future__ import annotations

import datetime as dt
import secrets

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import select

from civicwatch.accounts.models import Role, User
from civicwatch.accounts.passwords import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    needs_rehash,
    verify_password,
)
from civicwatch.audit.operations import record_audit
from civicwatch.database import utcnow
from civicwatch.errors import ConflictError, DomainError
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body


class AuthenticationError(DomainError):
    status = 401


# One answer for every failure, so nobody learns which emails have accounts or which are locked.
FAILED_SIGN_IN = (
    "Email or password is not correct. After several failed attempts an account is locked for a few minutes."
)


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise DomainError(f"That email address is not valid: {exc}") from exc


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(f"Passwords must have at least {MIN_PASSWORD_LENGTH} characters.")


def create_user(
    email: str,
    name: str,
    role: Role,
    password: str,
    body: Body | None = None,
    actor: User | None = None,
) -> User:
    """Create a staff account. Investigators belong to exactly one body; other roles to none."""
    email = normalise_email(email)
    check_password_strength(password)
    if role is Role.INVESTIGATOR and body is None:
        raise DomainError("An investigator must belong to an oversight body.")
    if role is not Role.INVESTIGATOR:
        body = None
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise ConflictError("An account with that email already exists.")
    user = User(
        email=email,
        name=name.strip() or email,
        role=role,
        body=body,
        password_hash=hash_password(password),
        session_token=secrets.token_hex(16),
        active=True,
        failed_logins=0,
    )
    db.session.add(user)
    db.session.flush()
    record_audit(actor, "user.create", user, after={"email": email, "role": role.value,
                                                   "body": body.code if body else None})
    return user


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def is_locked(user: User, now: dt.datetime | None = None) -> bool:
    return bool(user.locked_until and user.locked_until > (now or utcnow()))


def authenticate(email: str, password: str) -> User:
    """Check credentials, counting failures per account and locking the account after too many.

    Every attempt costs one argon2 verification and gets the same message, whatever the account's state.
    """
    user = find_user_by_email(email)
    now = utcnow()
    password_ok = verify_password(user.password_hash if user else None, password)
    if user is None or not password_ok or not user.active or is_locked(user, now):
        if user is not None and not is_locked(user, now):
            register_failed_login(user, now)
        raise AuthenticationError(FAILED_SIGN_IN)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    record_audit(user, "user.login", user)
    return user


def register_failed_login(user: User, now: dt.datetime) -> None:
    user.failed_logins += 1
    if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
        user.locked_until = now + dt.timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
        user.failed_logins = 0
        record_audit(None, "user.locked", user)


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not verify_password(user.password_hash, current_password):
        raise DomainError("Your current password is not correct.")
    check_password_strength(new_password)
    user.password_hash = hash_password(new_password)
    user.session_token = secrets.token_hex(16)  # sign out every other session
    record_audit(user, "user.change_password", user)


def set_user_active(user: User, active: bool, actor: User) -> None:
    if user.id == actor.id and not active:
        raise DomainError("You cannot deactivate your own account.")
    before = user.active
    user.active = active
    user.session_token = secrets.token_hex(16)
    record_audit(actor, "user.activate" if active else "user.deactivate", user,
                 before={"active": before}, after={"active": active})


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.role, User.email)))
