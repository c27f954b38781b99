"""The newest audit entry, recorded outside the database after each commit.

The hash chain shows an edited or removed entry in the middle; only a copy of the tip kept elsewhere
shows that the newest entries were deleted. The file lives with the instance (or AUDIT_ANCHOR_FILE);
a deployment can also ship `audit anchor` output to storage the database administrators cannot write.
"""
from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import event, text
from sqlalchemy.orm import Session

_PENDING_KEY = "civicwatch_audit_tip"
_write_lock = threading.Lock()


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str


def anchor_path() -> Path | None:
    configured = current_app.config.get("AUDIT_ANCHOR_FILE")
    if configured == "":
        return None
    return Path(configured) if configured else Path(current_app.instance_path) / "audit_anchor.json"


def read_anchor() -> Anchor | None:
    path = anchor_path()
    if path is None or not path.exists():
        return None
    data = json.loads(path.read_text())
    return Anchor(int(data["seq"]), str(data["hash"]))


def write_anchor(seq: int, digest: str) -> None:
    """Record the tip unless a newer one is already recorded (writers may finish out of order)."""
    path = anchor_path()
    if path is None:
        return
    with _write_lock:
        current = read_anchor()
        if current is not None and current.seq >= seq:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"seq": seq, "hash": digest}))
        os.replace(tmp, path)


def note_audit_written(session: Session) -> None:
    """Called when an entry is added; the tip is recorded only once the transaction has committed."""
    session.info[_PENDING_KEY] = True


@event.listens_for(Session, "after_commit")
def _anchor_after_commit(session: Session) -> None:
    if not session.info.pop(_PENDING_KEY, False) or not has_app_context():
        return
    # Read the committed tip afresh: an entry added in a rolled-back savepoint must never be anchored.
    with session.get_bind().engine.connect() as connection:
        tip = connection.execute(
            text("SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1")
        ).first()
    if tip is not None:
        write_anchor(tip.seq, tip.hash)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
