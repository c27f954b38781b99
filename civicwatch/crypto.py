"""Encryption of personal data at rest and keyed hashes for looking it up without decrypting."""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


class DecryptionError(Exception):
    pass


def _fernet() -> Fernet:
    return _fernet_for(current_app.config["CIVICWATCH_ENCRYPTION_KEY"])


@functools.lru_cache(maxsize=8)
def _fernet_for(key: str) -> Fernet:
    return Fernet(key)


# Keys apart from the content key, each for one kind of data: the complainant's identity and contact details
# (the identity vault), and the sealed originals of uploaded files. Whoever holds the content key alone reads
# the cases but not who sent them.
IDENTITY_KEY = "CIVICWATCH_IDENTITY_KEY"
EVIDENCE_KEY = "CIVICWATCH_EVIDENCE_KEY"


def encrypt_json_with(setting: str, value: dict[str, Any]) -> bytes:
    """Encrypted under the key in config[`setting`] (such as IDENTITY_KEY), not the content key."""
    return _fernet_for(current_app.config[setting]).encrypt(json.dumps(value, sort_keys=True).encode("utf-8"))


def decrypt_json_with(setting: str, token: bytes) -> dict[str, Any]:
    try:
        return json.loads(_fernet_for(current_app.config[setting]).decrypt(token).decode("utf-8"))
    except InvalidToken as exc:
        raise DecryptionError(f"the value could not be decrypted with {setting}") from exc


def encrypt_bytes_with(setting: str, data: bytes) -> bytes:
    return _fernet_for(current_app.config[setting]).encrypt(data)


def decrypt_bytes_with(setting: str, token: bytes) -> bytes:
    try:
        return _fernet_for(current_app.config[setting]).decrypt(token)
    except InvalidToken as exc:
        raise DecryptionError(f"the value could not be decrypted with {setting}") from exc


def derived_key(purpose: str) -> bytes:
    """A key per purpose, derived from the encryption key, so one use's values cannot be compared with another's."""
    return _derive(current_app.config["CIVICWATCH_ENCRYPTION_KEY"], purpose)


@functools.lru_cache(maxsize=64)
def _derive(key: str, purpose: str) -> bytes:
    return hmac.new(base64.urlsafe_b64decode(key), f"civicwatch-hash:{purpose}".encode(), hashlib.sha256).digest()


def encrypt_text(value: str) -> bytes:
    return _fernet().encrypt(value.encode("utf-8"))


def decrypt_text(token: bytes) -> str:
    try:
        return _fernet().decrypt(token).decode("utf-8")
    except InvalidToken as exc:
        raise DecryptionError("personal data could not be decrypted with the configured key") from exc


def encrypt_json(value: dict[str, Any]) -> bytes:
    return encrypt_text(json.dumps(value, sort_keys=True))


def decrypt_json(token: bytes) -> dict[str, Any]:
    return json.loads(decrypt_text(token))


def keyed_hash(purpose: str, value: str) -> str:
    """HMAC-SHA256 of value under a key derived from the encryption key: indexable, not reversible."""
    return hmac.new(derived_key(purpose), value.encode("utf-8"), hashlib.sha256).hexdigest()


def encrypt_text_under(secret: str, value: str) -> bytes:
    """Encrypted under a key derived from the encryption key and `secret`: with the database and the server's
    key alone it cannot be read; whoever holds `secret` (and nobody stores it) can, through the app."""
    return _fernet_under(secret).encrypt(value.encode("utf-8"))


def decrypt_text_under(secret: str, token: bytes) -> str:
    try:
        return _fernet_under(secret).decrypt(token).decode("utf-8")
    except InvalidToken as exc:
        raise DecryptionError("the value could not be decrypted with this secret") from exc


def _fernet_under(secret: str) -> Fernet:
    key = hmac.new(derived_key("sealed-under-secret"), secret.encode("utf-8"), hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def valid_encryption_key(key: str | None) -> bool:
    if not key:
        return False
    try:
        Fernet(key)
    except (ValueError, TypeError):
        return False
    return True
