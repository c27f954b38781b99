"""Staff account operations. They flush; the caller commits."""
from __future__ import annotations

import datetime as dt
import logging
import math
import secrets

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext, ngettext
from sqlalchemy import func, select

from civicwatch.accounts import throttle, totp
from civicwatch.accounts.models import BODY_ROLES, Role, User, is_community_body, new_session_token
from civicwatch.accounts.passwords import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    needs_rehash,
    verify_password,
)
from civicwatch.accounts.permissions import refuse_admin_password_reset
from civicwatch.audit.operations import record_audit
from civicwatch.database import utcnow
from civicwatch.errors import ConflictError, DomainError
from civicwatch.extensions import db
from civicwatch.i18n import N_
from civicwatch.taxonomy.models import Body
from civicwatch.text import one_line

log = logging.getLogger(__name__)


class AuthenticationError(DomainError):
    status = 401


class TooManyAttemptsError(DomainError):
    """Too many wrong passwords: nothing is checked until `wait` has passed."""

    status = 429

    def __init__(self, wait: dt.timedelta) -> None:
        self.retry_after = max(1, math.ceil(wait.total_seconds()))
        super().__init__(gettext("Too many failed attempts. Wait %(wait)s, then try again.",
                                 wait=describe_seconds(self.retry_after)))


class TemporaryPasswordExpiredError(AuthenticationError):
    """The right temporary password, past its end: told only to whoever typed it, after the same check."""


class WrongCurrentPasswordError(DomainError):
    pass


class WrongCurrentCodeError(DomainError):
    pass


# One answer for every failure, so nobody learns which emails have accounts.
FAILED_SIGN_IN = N_(
    "Email or password is not correct. After several failed attempts, sign-in from this connection "
    "is paused for a while."
)
# A temporary password is read out or written down: no letters that look alike (0/o, 1/l/i). 4 groups of 4 from
# 31 letters: about 79 bits.
TEMPORARY_LETTERS = "abcdefghjkmnpqrstuvwxyz23456789"
TEMPORARY_PASSWORD_EXPIRED = N_(
    "This temporary password has expired. Please ask an administrator for a new one."
)
WRONG_CURRENT_PASSWORD = "Your current password is not correct."
NEW_CODE_MISMATCH = "That code does not match. Check the key was typed exactly, then try the newest code."


def describe_seconds(seconds: int) -> str:
    if seconds < 120:
        return ngettext("%(num)s second", "%(num)s seconds", seconds)
    return ngettext("%(num)s minute", "%(num)s minutes", math.ceil(seconds / 60))


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
    temporary: bool = False,
) -> User:
    """Create a staff account. Investigators belong to one oversight body, community committee members to one
    community committee; other roles to none. A `temporary` password (one an admin chose and passes on) must be
    replaced at the first sign-in."""
    email = normalise_email(email)
    check_password_strength(password)
    body = check_new_account(email, role, body)
    user = User(
        email=email,
        name=one_line(name) or email,
        role=role,
        body=body,
        password_hash=hash_password(password),
        session_token=new_session_token(),
        active=True,
        totp_failures=0,
        password_must_change=temporary,
        temporary_password_set_at=utcnow() if temporary else None,
    )
    db.session.add(user)
    db.session.flush()
    record_audit(actor, "user.create", user, after={"email": email, "role": role.value,
                                                   "body": body.code if body else None})
    return user


def check_new_account(email: str, role: Role, body: Body | None) -> Body | None:
    """Everything about a new account but its password, for an email already normalised: its body for the role,
    and no account with that email yet. The body the account will belong to."""
    body = check_body_for_role(role, body)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise ConflictError(gettext("An account with that email already exists."))
    return body


def check_body_for_role(role: Role, body: Body | None) -> Body | None:
    """The body the account belongs to: required for investigators and committee members, dropped for others."""
    if role not in BODY_ROLES:
        return None
    if body is not None and not body.active:
        raise DomainError(f"{body.name} is closed: choose an active body.")
    if role is Role.INVESTIGATOR and body is None:
        raise DomainError("An investigator must belong to an oversight body.")
    if role is Role.COMMUNITY and (body is None or not is_community_body(body)):
        raise DomainError("A community committee member must belong to a community committee "
                          "(a body whose code starts with community_).")
    return body


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == throttle.email_key(email)))


# The domains reserved for examples (RFC 2606), which no real person's address uses: the demo's staff accounts.
EXAMPLE_DOMAINS = ("example.org", "example.com", "example.net")
DEMO_ACCOUNT_REFUSED = N_("This is a demo account (an example.org address): it signs in only on a demo server.")


def is_example_address(email: str) -> bool:
    domain = email.rpartition("@")[2].strip().lower().rstrip(".")
    return any(domain == name or domain.endswith("." + name) for name in EXAMPLE_DOMAINS)


def authenticate(email: str, password: str, client_address: str | None) -> User:
    """Check credentials, with backoff per client and account and a ceiling per account (see throttle).

    Every attempt that is checked costs one argon2 verification and gets the same message, whatever the
    account's state; an attempt during a wait is not checked at all. The password is checked before any lock is
    taken: argon2 takes most of a second on a loaded server, and on SQLite every other write (a citizen's report)
    would wait for the write lock meanwhile. The waits are read again under the client's lock, so that an attempt
    sent beside the one that imposed a wait is refused as if it had come after it, whatever its password.
    """
    if is_example_address(email) and not current_app.config.get("DEMO_MODE"):
        raise AuthenticationError(gettext(DEMO_ACCOUNT_REFUSED))
    client, account = throttle.client_key(client_address, email), throttle.account_key(email)
    # A pause of the account (wrong passwords from many networks) spares the networks it signs in from.
    spared = throttle.is_known_network(throttle.known_network_key(client_address, email))
    keys = (client,) if spared else (client, account)
    _refuse_during_a_wait(keys)
    user = find_user_by_email(email)
    password_ok = verify_password(user.password_hash if user else None, password)
    throttle.hold(client)
    _refuse_during_a_wait(keys)
    if user is None or not password_ok or not user.active:
        _count_failed_sign_in(user, client, account)
        raise AuthenticationError(gettext(FAILED_SIGN_IN))
    throttle.forget_failures(client)
    if temporary_password_expired(user):
        record_audit(None, "user.temporary_password_expired", user)
        raise TemporaryPasswordExpiredError(gettext(TEMPORARY_PASSWORD_EXPIRED))
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def temporary_password_expired(user: User) -> bool:
    """Whether the account's password is a temporary one an admin set more than TEMPORARY_PASSWORD_HOURS ago."""
    set_at = user.temporary_password_set_at
    if not user.password_must_change or set_at is None:
        return False
    return utcnow() >= set_at + dt.timedelta(hours=current_app.config["TEMPORARY_PASSWORD_HOURS"])


def _refuse_during_a_wait(keys: tuple[str, ...]) -> None:
    wait = throttle.current_wait(*keys)
    if wait is not None:
        raise TooManyAttemptsError(wait)


def await_second_factor(user: User) -> None:
    """The password was right and a code is asked next: audited as that, not as a sign-in, which someone with the
    password alone never completes. Flushes only."""
    record_audit(user, "user.password_ok", user)


def complete_sign_in(user: User, client_address: str | None) -> None:
    """The user signed in (password and, when required, second factor): audited, and the network remembered, so
    that a pause of the account will spare it (see authenticate). Flushes only."""
    user.last_login_at = utcnow()
    record_audit(user, "user.login", user)
    throttle.remember_network(throttle.known_network_key(client_address, user.email))


def _count_failed_sign_in(user: User | None, client: str, account: str) -> None:
    by_client = throttle.count_failure(client, throttle.client_backoff())
    by_account = throttle.count_failure(account, throttle.account_backoff())
    if user is None:
        return
    if by_client.blocked_now:
        record_audit(None, "user.sign_in_blocked", user, after={"scope": "client", "until_minutes":
                                                                  _minutes(by_client.wait)})
    if by_account.blocked_now:
        log.warning("sign-in to account %s paused: failures from many networks", user.id)
        record_audit(None, "user.sign_in_blocked", user, after={"scope": "account", "until_minutes":
                                                                  _minutes(by_account.wait)})


def _minutes(wait: dt.timedelta | None) -> float:
    return round(wait.total_seconds() / 60, 1) if wait else 0.0


def check_current_password(user: User, password: str) -> None:
    """A signed-in user confirms it is them (password or authenticator change), with the sign-in backoff
    counted per account: a stolen session must not become a password-guessing oracle. Flushes."""
    key = throttle.reauth_key(user.id)
    _refuse_during_a_wait((key,))
    right = verify_password(user.password_hash, password)  # before any lock, as in authenticate
    throttle.hold(key)
    _refuse_during_a_wait((key,))
    if not right:
        counted = throttle.count_failure(key, throttle.client_backoff())
        record_audit(user, "user.reauth_failed", user, after={"blocked": counted.blocked_now})
        raise WrongCurrentPasswordError(WRONG_CURRENT_PASSWORD)
    throttle.forget_failures(key)


def change_password(user: User, current_password: str, new_password: str) -> None:
    check_current_password(user, current_password)
    check_password_strength(new_password)
    if new_password == current_password and user.password_must_change:
        raise DomainError(gettext("Choose a password of your own, not the temporary one."))
    user.password_hash = hash_password(new_password)
    user.password_must_change = False
    user.temporary_password_set_at = None
    user.session_token = new_session_token()  # sign out every other session
    record_audit(user, "user.change_password", user)


def refuse_own_password_reset(user: User, actor: User | None) -> None:
    if actor is not None and user.id == actor.id:
        raise DomainError(gettext("Change your own password on your account page: /account/password."))


def reset_password(user: User, actor: User | None) -> str:
    """Give a member who forgot their password a temporary one, returned to be told to them once and never
    stored in clear, that ends TEMPORARY_PASSWORD_HOURS later. Their sessions end, and they must choose their own password before anything else. Their
    authenticator, if any, is still asked at sign-in. `actor` None: the command line. Flushes only."""
    refuse_own_password_reset(user, actor)
    refuse_admin_password_reset(user, actor)
    temporary = "-".join("".join(secrets.choice(TEMPORARY_LETTERS) for _ in range(4)) for _ in range(4))
    user.password_hash = hash_password(temporary)
    user.password_must_change = True
    user.temporary_password_set_at = utcnow()
    user.session_token = new_session_token()
    record_audit(actor, "user.password_reset", user)
    return temporary


def change_second_factor(user: User, current_password: str, current_code: str | None, secret: str,
                         new_code: str | None) -> None:
    """Bind a new authenticator app, after the password and, if one is set up, a code from the current one.

    A wrong current code counts towards the second factor's lock like a wrong code at sign-in. Flushes.
    """
    check_current_password(user, current_password)
    if totp.has_totp(user):
        if not totp.normalise_code(current_code):
            raise WrongCurrentCodeError("Enter the code your current authenticator app shows.")
        if not totp.check_second_factor(user, current_code):
            if totp.second_factor_locked(user):
                raise totp.SecondFactorLockedError()
            raise WrongCurrentCodeError("The code from your current authenticator app is not right.")
    if not totp.enrol_totp(user, secret, new_code):
        raise DomainError(NEW_CODE_MISMATCH)


def sign_out(user: User) -> None:
    """End every session of the user, including copies of this one's cookie."""
    user.session_token = new_session_token()
    record_audit(user, "user.logout", user)


def refuse_own_deactivation(user: User, actor: User) -> None:
    if user.id == actor.id:
        raise DomainError("You cannot deactivate your own account.")


def set_user_active(user: User, active: bool, actor: User) -> None:
    if not active:
        refuse_own_deactivation(user, actor)
    if user.role is Role.ADMIN and not active:
        _keep_an_active_admin(user)
    before = user.active
    user.active = active
    if not active:
        user.post_changed_at = utcnow()  # a suspension or a departure ends the post, and its disclosure grants
    user.session_token = new_session_token()
    record_audit(actor, "user.activate" if active else "user.deactivate", user,
                 before={"active": before}, after={"active": active})


def _keep_an_active_admin(leaving: User, refusal: str = N_("You cannot deactivate the last active admin.")) -> None:
    """Refuse to let `leaving` stop being an active admin when no other admin would stay active. The active
    admins' rows are locked first, in the order of their ids, and counted under the lock: two admins deactivating
    (or demoting) each other at the same moment (each signed in, so each saw the other active) are served one after
    the other, and the second finds itself the last. On SQLite the first lock takes the database's write lock."""
    for admin in db.session.scalars(select(User).where(User.role == Role.ADMIN, User.active).order_by(User.id)).all():
        totp.lock_user_row(admin)
    others = db.session.scalar(select(func.count()).select_from(User)
                               .where(User.role == Role.ADMIN, User.active, User.id != leaving.id))
    if not others:
        raise ConflictError(gettext(refusal))


def change_role(user: User, role: Role, body: Body | None, actor: User) -> bool:
    """Give the account another role or body (a transfer, a promotion). Its sessions end, as the role and body
    are part of what a session proves. False when nothing changed (nothing is recorded then). The caller releases
    the work the account can no longer do (cases.staffing)."""
    if user.id == actor.id:
        raise DomainError(gettext("You cannot change your own role or body: ask another admin."))
    body = check_body_for_role(role, body)
    if role is user.role and (body.id if body else None) == user.body_id:
        return False
    if user.role is Role.ADMIN and role is not Role.ADMIN and user.active:
        _keep_an_active_admin(user, N_("You cannot take the admin role from the last active admin."))
    before = {"role": user.role.value, "body": user.body.code if user.body else None}
    user.role, user.body = role, body
    user.post_changed_at = utcnow()
    user.session_token = new_session_token()
    db.session.flush()
    record_audit(actor, "user.role", user, before=before,
                 after={"role": role.value, "body": body.code if body else None})
    return True


def set_identity_custodian(user: User, custodian: bool, actor: User | None) -> None:
    """Give or take the identity custodian's duty (deciding disclosure requests). Audited; flushes only."""
    before = user.identity_custodian
    user.identity_custodian = custodian
    db.session.flush()
    record_audit(actor, "user.identity_custodian", user, before={"identity_custodian": before},
                 after={"identity_custodian": custodian})


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.role, User.email)))
