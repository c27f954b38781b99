"""Which trained model is active: MODEL_DIR/ACTIVE names a versioned model directory."""
from __future__ import annotations

from pathlib import Path

from flask import current_app


def model_root() -> Path:
    return Path(current_app.config["MODEL_DIR"])


def active_model_version() -> str | None:
    pointer = model_root() / "ACTIVE"
    try:
        version = pointer.read_text().strip()
    except OSError:
        return None
    return version if version and (model_root() / version).is_dir() else None
