"""Two-factor sign-in with time-based one-time passwords (RFC 6238, pyotp).

The secret is kept encrypted in `User.totp_secret_encrypted`, together with the last time step that
was accepted, so that a code cannot be used twice (RFC 6238 section 5.2).
"""
from __future__ import annotations

import hmac
import re
import secrets

import pyotp
import segno
from flask import current_app
from markupsafe import Markup

from civicwatch.accounts.models import Role, User
from civicwatch.audit.operations import record_audit
from civicwatch.crypto import decrypt_json, encrypt_json
from civicwatch.database import utcnow

ISSUER = "CivicWatch"
STEP_SECONDS = 30
# One step either side forgives a phone clock that is up to 30 seconds off.
VALID_WINDOW = 1
REQUIRED_ROLES = frozenset({Role.ADMIN, Role.INVESTIGATOR})
_NON_DIGITS = re.compile(r"\D")


def totp_required(user: User) -> bool:
    """Admins and investigators must use a second factor, unless the deployment turns it off."""
    return bool(current_app.config.get("REQUIRE_TOTP")) and user.role in REQUIRED_ROLES


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
    return _NON_DIGITS.sub("", code or "")


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


def verify_totp(user: User, code: str | None) -> bool:
    """Check a code against the user's secret; a code that was accepted once is refused after."""
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
    record_audit(user, "user.totp_enrol", user, after={"replaced": replaced})
    return True


def reset_totp(user: User, actor: User) -> None:
    """An admin clears a lost authenticator; the user enrols again at the next sign-in."""
    user.totp_secret_encrypted = None
    user.session_token = secrets.token_hex(16)  # signed out everywhere: the old phone may be in other hands
    record_audit(actor, "user.totp_reset", user, before={"enrolled": True}, after={"enrolled": False})
