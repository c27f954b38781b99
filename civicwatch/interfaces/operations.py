"""API keys for Open311 clients: issued and revoked by administrators, checked on every request that sends a
complaint. Only a keyed hash of a key is stored. Each operation writes its audit entry and flushes, except
`receive_open311_request`, which commits the complaint as intake's `receive_complaint` does."""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext
from sqlalchemy import select

from civicwatch.accounts.models import User
from civicwatch.audit.operations import record_audit
from civicwatch.cases.models import CaseEvent
from civicwatch.crypto import keyed_hash
from civicwatch.database import utcnow
from civicwatch.errors import ConflictError, DomainError
from civicwatch.extensions import db
from civicwatch.intake.idempotency import IdempotencyKey, remember_submission
from civicwatch.intake.models import SubmissionKey
from civicwatch.intake.operations import Receipt, Submission, commit_complaint, route_stored_case, submit_complaint
from civicwatch.interfaces.models import ApiKey, Open311Token
from civicwatch.text import one_line

API_KEY_PREFIX = "cw311_"


def issue_api_key(name: str, user: User | None) -> tuple[ApiKey, str]:
    """A new key; the secret is returned once and only its keyed hash is stored."""
    name = one_line(name)
    if not name:
        raise DomainError(gettext("Name the client."))
    secret = API_KEY_PREFIX + secrets.token_urlsafe(24)
    expires_at = utcnow() + dt.timedelta(days=current_app.config["API_KEY_LIFETIME_DAYS"])
    key = ApiKey(name=name[:200], key_hash=keyed_hash("api_key", secret), prefix=secret[:12],
                 created_by_id=user.id if user else None, expires_at=expires_at)
    db.session.add(key)
    db.session.flush()
    record_audit(user, "api_key.issue", key, after={"name": key.name, "prefix": key.prefix,
                                                    "expires_at": expires_at.isoformat()})
    return key, secret


def refuse_revoked(key: ApiKey) -> None:
    if key.revoked_at is not None:
        raise ConflictError(gettext("That key is already revoked."))


def revoke_api_key(key: ApiKey, user: User | None) -> None:
    refuse_revoked(key)
    key.revoked_at = utcnow()
    db.session.flush()
    record_audit(user, "api_key.revoke", key, before={"revoked": False}, after={"revoked": True})


def _key_with_secret(secret: str | None) -> ApiKey | None:
    if not secret or len(secret) > 200:
        return None
    return db.session.scalar(select(ApiKey).where(ApiKey.key_hash == keyed_hash("api_key", secret)))


def authenticate_api_key(secret: str | None) -> ApiKey | None:
    """The active key with this secret, not past its end, or None."""
    key = _key_with_secret(secret)
    now = utcnow()
    if key is None or key.revoked_at is not None or key.expired(now):
        return None
    key.last_used_at = now
    return key


def expired_on(secret: str | None) -> dt.date | None:
    """The day a key that authenticate_api_key refused ended, if it was refused for its age (a revoked key is
    told nothing more than an unknown one)."""
    key = _key_with_secret(secret)
    if key is None or key.revoked_at is not None or key.expires_at is None or not key.expired(utcnow()):
        return None
    return key.expires_at.date()


@dataclass(frozen=True)
class Open311Receipt:
    receipt: Receipt
    token: str


def receive_open311_request(submission: Submission, key_id: int, key_name: str, service_code: str,
                            idempotency_key: IdempotencyKey | None = None, content: str = "") -> Open311Receipt:
    """Store a complaint sent by an Open311 client with its token, event, audit entry and idempotency key in one
    transaction, COMMIT it, then route it (as intake's receive_complaint). `content` fingerprints the request, so
    that a retry under the same key is checked against what was stored."""
    case, code = submit_complaint(submission)
    receipt = Receipt(case.id, case.reference, code)
    token = secrets.token_urlsafe(18)
    now = utcnow()
    db.session.add(Open311Token(token_hash=keyed_hash("open311_token", token), case_id=case.id, api_key_id=key_id,
                                service_code=service_code, created_at=now))
    db.session.add(CaseEvent(case_id=case.id, kind="open311", public=False, created_at=now,
                             detail={"service_code": service_code, "client": key_name}))
    record_audit(None, "open311.request", case, after={"api_key": key_id, "service_code": service_code})
    if idempotency_key is not None:
        remember_submission(idempotency_key, case.id, code, extra={"token": token, "content": content})
        db.session.add(SubmissionKey(key_hash=_with_content(idempotency_key, content).hash, case_id=case.id,
                                     created_at=now))
    commit_complaint()
    route_stored_case(case)
    return Open311Receipt(receipt, token)


def _with_content(key: IdempotencyKey, content: str) -> IdempotencyKey:
    return IdempotencyKey(f"{key.scope}\ncontent", f"{key.value}\n{content}")


def stored_with_content(key: IdempotencyKey, content: str) -> bool:
    """Whether the request `key` stored said `content`, once its receipt (which holds the content too) is erased.
    A second key, of the key and the content, is kept with the first: only a keyed hash, with no receipt, and
    of no use to test guesses of a complaint's words without the client's own key."""
    found = db.session.scalar(select(SubmissionKey.id).where(SubmissionKey.key_hash == _with_content(key, content).hash))
    return found is not None
