"""API keys for Open311 clients: issued and revoked by administrators, checked on every request that sends a
complaint. Only a keyed hash of a key is stored. Each operation writes its audit entry and flushes."""
from __future__ import annotations

import secrets

from sqlalchemy import select

from civicwatch.accounts.models import User
from civicwatch.audit.operations import record_audit
from civicwatch.crypto import keyed_hash
from civicwatch.database import utcnow
from civicwatch.errors import ConflictError, DomainError
from civicwatch.extensions import db
from civicwatch.interfaces.models import ApiKey

API_KEY_PREFIX = "cw311_"


def issue_api_key(name: str, user: User | None) -> tuple[ApiKey, str]:
    """A new key; the secret is returned once and only its keyed hash is stored."""
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("Name the client the key is for.")
    secret = API_KEY_PREFIX + secrets.token_urlsafe(24)
    key = ApiKey(name=name[:200], key_hash=keyed_hash("api_key", secret), prefix=secret[:12],
                 created_by_id=user.id if user else None)
    db.session.add(key)
    db.session.flush()
    record_audit(user, "api_key.issue", key, after={"name": key.name, "prefix": key.prefix})
    return key, secret


def revoke_api_key(key: ApiKey, user: User | None) -> None:
    if key.revoked_at is not None:
        raise ConflictError("That key is already revoked.")
    key.revoked_at = utcnow()
    db.session.flush()
    record_audit(user, "api_key.revoke", key, before={"revoked": False}, after={"revoked": True})


def authenticate_api_key(secret: str | None) -> ApiKey | None:
    """The active key with this secret, or None."""
    if not secret or len(secret) > 200:
        return None
    key = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == keyed_hash("api_key", secret)))
    if key is None or key.revoked_at is not None:
        return None
    key.last_used_at = utcnow()
    return key
