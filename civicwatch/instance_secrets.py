"""Secrets for development and demo runs, generated once and kept in instance/ (never committed)."""
from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet
from flask import Flask


def _read_or_create(path: Path, make: Callable[[], str]) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value


def fill_development_secrets(app: Flask) -> None:
    instance = Path(app.instance_path)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _read_or_create(
            instance / "secret_key", lambda: secrets.token_urlsafe(48)
        )
    if not app.config.get("CIVICWATCH_ENCRYPTION_KEY"):
        app.config["CIVICWATCH_ENCRYPTION_KEY"] = _read_or_create(
            instance / "encryption_key", lambda: Fernet.generate_key().decode()
        )
    if not app.config.get("CIVICWATCH_IDENTITY_KEY"):
        app.config["CIVICWATCH_IDENTITY_KEY"] = _read_or_create(
            instance / "identity_key", lambda: Fernet.generate_key().decode()
        )
    if not app.config.get("CIVICWATCH_EVIDENCE_KEY"):
        app.config["CIVICWATCH_EVIDENCE_KEY"] = _read_or_create(
            instance / "evidence_key", lambda: Fernet.generate_key().decode()
        )
    if not app.config.get("CIVICWATCH_AUDIT_KEY"):
        app.config["CIVICWATCH_AUDIT_KEY"] = _read_or_create(instance / "audit_key", lambda: secrets.token_urlsafe(48))
    for key in ("UPLOAD_DIR", "MODEL_DIR"):
        if app.config.get(key):
            Path(app.config[key]).mkdir(mode=0o700, parents=True, exist_ok=True)
