"""Two-factor sign-in with time-based one-time passwords (RFC 6238, pyotp).

The secret is kept encrypted in `User.totp_secret_encrypted`, together with the last time step that
was accepted, so that a code cannot be used twice (RFC 6238 section 5.2).
"""
from __future__ import annotations

import hmac
import unicodedata

import pyotp
import segno
from flask import current_app
from flask_babel import gettext
from markupsafe import Markup
from sqlalchemy import select, update

from civicwatch.accounts.models import User, new_session_token
from civicwatch.accounts.permissions import refuse_admin_totp_reset, refuse_admin_totp_unlock
from civicwatch.audit.operations import record_audit
from civicwatch.crypto import decrypt_json, encrypt_json
from civicwatch.database import utcnow
from civicwatch.errors import DomainError
from civicwatch.extensions import db

ISSUER = "CivicWatch"
STEP_SECONDS = 30
# One step either side forgives a phone clock that is up to 30 seconds off.
VALID_WINDOW = 1


class SecondFactorLockedError(DomainError):
    status = 403

    def __init__(self) -> None:
        super().__init__("Two-factor sign-in to this account is locked after too many wrong codes. "
                         "Ask an administrator to unlock it.")


def totp_required(user: User) -> bool:
    """Every staff role reads complaints (auditors and triage officers all of them), so every one needs a
    second factor, unless the deployment turns it off (development, demo)."""
    return bool(current_app.config.get("REQUIRE_TOTP"))


def has_totp(user: User) -> bool:
    return user.totp_secret_encrypted is not None


def needs_second_factor(user: User) -> bool:
    """Everyone who enrolled uses it, whether required or not."""
    return totp_required(user) or has_totp(user)


def new_secret() -> str:
    return pyotp.random_base32(length=32)  # 160 bits, as RFC 4226 recommends


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads (typed in, or scanned from a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def provisioning_qr_svg(uri: str) -> Markup:
    """The setup link as a QR code to scan, as inline SVG (no script, no style: the CSP allows it)."""
    code = segno.make(uri, error="m")
    return Markup(code.svg_inline(scale=4, dark="#000", light="#fff", title="QR code of the setup link"))


def grouped(secret: str) -> str:
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def normalise_code(code: str | None) -> str:
    """The code's digits in ASCII, whatever else was typed: a phone keyboard in another script sends its own digits
    (Arabic-Indic, full-width), which compare_digest cannot compare."""
    return "".join(str(unicodedata.decimal(ch)) for ch in code or "" if ch.isdecimal())


def matching_step(secret: str, code: str | None, after_step: int | None = None) -> int | None:
    """The time step whose code this is (within the window, later than `after_step`), or None."""
    code = normalise_code(code)
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(utcnow().timestamp()) // STEP_SECONDS
    for step in range(now_step - VALID_WINDOW, now_step + VALID_WINDOW + 1):
        if after_step is not None and step <= after_step:
            continue
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def _store(user: User, secret: str, last_step: int | None) -> None:
    user.totp_secret_encrypted = encrypt_json({"secret": secret, "last_step": last_step})


def second_factor_locked(user: User) -> bool:
    return user.totp_locked_at is not None


def check_second_factor(user: User, code: str | None) -> bool:
    """Check a code from the user's authenticator, counting wrong ones; only a right code clears the count.

    At TOTP_MAX_FAILURES the second factor locks until an admin unlocks it (a password proves nothing about
    the phone), and every session of the user ends. The user's row is locked while checking, so parallel
    guesses are all counted and a code is accepted once. Raises SecondFactorLockedError. Flushes.
    """
    lock_user_row(user)
    if second_factor_locked(user):
        raise SecondFactorLockedError()
    if _accept_code(user, code):
        user.totp_failures = 0
        return True
    user.totp_failures += 1
    record_audit(None, "user.totp_failed", user, after={"failures": user.totp_failures})
    if user.totp_failures >= current_app.config["TOTP_MAX_FAILURES"]:
        user.totp_locked_at = utcnow()
        user.session_token = new_session_token()
        record_audit(None, "user.totp_locked", user, after={"failures": user.totp_failures})
    db.session.flush()
    return False


def lock_user_row(user: User) -> None:
    """Hold the user's row until the transaction ends, and re-read it. A no-op update rather than FOR UPDATE:
    it also takes SQLite's write lock, which a read would not."""
    db.session.execute(update(User).where(User.id == user.id).values(totp_failures=User.totp_failures)
                       .execution_options(synchronize_session=False))
    db.session.scalars(select(User).where(User.id == user.id).execution_options(populate_existing=True)).one()


def unlock_second_factor(user: User, actor: User | None) -> None:
    """An admin (or the command line: actor None) lets the user try codes again, after making sure the
    wrong codes were theirs. Another admin's only on the server."""
    refuse_admin_totp_unlock(user, actor)
    before = {"failures": user.totp_failures, "locked": second_factor_locked(user)}
    user.totp_failures = 0
    user.totp_locked_at = None
    record_audit(actor, "user.totp_unlock", user, before=before, after={"failures": 0, "locked": False})


def _accept_code(user: User, code: str | None) -> bool:
    """Check a code against the user's secret; a code that was accepted once is refused after. Callers go
    through check_second_factor, which counts the wrong ones."""
    encrypted = user.totp_secret_encrypted
    if encrypted is None:  # has_totp(user), spelled so that the type checker sees it
        return False
    stored = decrypt_json(encrypted)
    step = matching_step(stored["secret"], code, stored.get("last_step"))
    if step is None:
        return False
    _store(user, stored["secret"], step)
    return True


def enrol_totp(user: User, secret: str, code: str | None) -> bool:
    """Keep `secret` for the user once they prove their app produces its codes. Flushes via the caller."""
    step = matching_step(secret, code)
    if step is None:
        return False
    replaced = has_totp(user)
    _store(user, secret, step)
    user.session_token = new_session_token()  # other sessions end; the caller signs this one in again
    record_audit(user, "user.totp_enrol", user, after={"replaced": replaced})
    return True


def refuse_own_totp_reset(user: User, actor: User) -> None:
    if user.id == actor.id:
        raise DomainError(gettext("You cannot reset your own authenticator here: move it to a new phone from your "
                                  "account page, with your password and a current code."))


def reset_totp(user: User, actor: User | None) -> None:
    """An admin clears another member's lost authenticator; the user enrols again at the next sign-in. `actor`
    None: the command line on the server, the only way for another admin's.

    Never one's own: the account page asks for the password and a current code before the authenticator
    changes, and someone at an open session must not get round that here."""
    if actor is not None:
        refuse_own_totp_reset(user, actor)
    refuse_admin_totp_reset(user, actor)
    user.totp_secret_encrypted = None
    user.totp_failures = 0
    user.totp_locked_at = None
    user.session_token = new_session_token()  # signed out everywhere: the old phone may be in other hands
    record_audit(actor, "user.totp_reset", user, before={"enrolled": True}, after={"enrolled": False})
