"""Copies of the audit chain's tip, appended outside the database after commits.

The hash chain shows an edited or removed entry in the middle; only copies kept elsewhere show that the
newest entries were deleted, or that the whole log was swapped for another. The anchor file is append-only
(one JSON line per committed tip), and every line names the database it belongs to by the hash of that
database's first entry. The file lives with the instance (or AUDIT_ANCHOR_FILE); a deployment can also
ship `audit anchor` output to storage the database administrators cannot write.

Each process appends the tip at most once every AUDIT_ANCHOR_INTERVAL_SECONDS (on the first commit with audit
entries after that time): anchoring reads the chain and the file, which every commit paying for it made every
write slower. The price is a window: entries of the last interval before a quiet spell are only in the
database until the next commit with an audit entry (or the next `audit anchor --write`).
"""
from __future__ import annotations

import datetime as dt
import errno
import json
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from civicwatch.database import utcnow

_PENDING_KEY = "civicwatch_audit_tip"
_LAST_ANCHORED_KEY = "civicwatch.audit_anchored_at"
_TAIL_BYTES = 16 * 1024  # the newest lines; writers may append a few out of order
_write_lock = threading.Lock()
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    database: str | None  # hash of the chain's first entry; None in files written before it was recorded


def anchor_path() -> Path | None:
    configured = current_app.config.get("AUDIT_ANCHOR_FILE")
    if configured == "":
        return None
    return Path(configured) if configured else Path(current_app.instance_path) / "audit_anchor.json"


def _parse(line: str) -> Anchor | None:
    try:
        data = json.loads(line)
        return Anchor(int(data["seq"]), str(data["hash"]), data.get("db"))
    except (ValueError, KeyError, TypeError, OverflowError):
        return None  # a line cut short by a crash while it was written, or damaged (an entry number of 1e999)


def anchor_history() -> Iterator[Anchor]:
    """Every anchor ever recorded, oldest first."""
    path = anchor_path()
    if path is None or not path.exists():
        return
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            anchor = _parse(line)
            if anchor is not None:
                yield anchor


def read_anchor() -> Anchor | None:
    """The newest anchor recorded (the highest entry number among the last lines)."""
    path = anchor_path()
    if path is None or not path.exists():
        return None
    with path.open("rb") as file:
        file.seek(max(0, path.stat().st_size - _TAIL_BYTES))
        tail = file.read().decode("utf-8", errors="replace")
    anchors = [a for a in map(_parse, tail.splitlines()) if a is not None]
    return max(anchors, key=lambda a: a.seq, default=None)


def write_anchor(anchor: Anchor) -> None:
    """Append the tip unless a newer one is already recorded."""
    path = anchor_path()
    if path is None:
        return
    with _write_lock:
        current = read_anchor()
        if current is not None and current.seq >= anchor.seq:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"seq": anchor.seq, "hash": anchor.hash, "db": anchor.database}) + "\n"
        if not _ends_with_newline(path):
            line = "\n" + line  # end a line a full disk or a crash cut short, rather than glue this one to it
        data = line.encode("utf-8")
        # One write on an O_APPEND descriptor: lines from several processes never interleave.
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            written = os.write(descriptor, data)
        finally:
            os.close(descriptor)
        if written < len(data):  # the disk filled part of the way: the rest would come as another, unparsable line
            raise OSError(errno.ENOSPC, "the anchor line was cut short")


def _ends_with_newline(path: Path) -> bool:
    """Whether the file is empty or absent, or its last line is whole."""
    try:
        with path.open("rb") as file:
            if file.seek(0, os.SEEK_END) == 0:
                return True
            file.seek(-1, os.SEEK_END)
            return file.read(1) == b"\n"
    except FileNotFoundError:
        return True


def note_audit_written(session: Session) -> None:
    """Called when an entry is added; the tip is recorded only once the transaction has committed."""
    session.info[_PENDING_KEY] = True


def chain_contains(connection: Connection, anchor: Anchor) -> bool:
    """Whether the database still holds the anchored entry unchanged, and is the database it was taken from."""
    stored = connection.execute(text("SELECT hash FROM audit_entries WHERE seq = :seq"), {"seq": anchor.seq}).scalar()
    if stored != anchor.hash:
        return False
    return anchor.database is None or anchor.database == _first_hash(connection)


def _first_hash(connection: Connection) -> str | None:
    return connection.execute(text("SELECT hash FROM audit_entries WHERE seq = 1")).scalar()


def _anchor_due() -> bool:
    """Whether this process should anchor now; if so, the interval starts again."""
    interval = dt.timedelta(seconds=float(current_app.config.get("AUDIT_ANCHOR_INTERVAL_SECONDS", 0)))
    now = utcnow()
    with _write_lock:
        last = current_app.extensions.get(_LAST_ANCHORED_KEY)
        if last is not None and last <= now < last + interval:
            return False
        current_app.extensions[_LAST_ANCHORED_KEY] = now
        return True


@event.listens_for(Session, "after_commit")
def _anchor_after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: nothing is committed yet
        return
    if not session.info.pop(_PENDING_KEY, False) or not has_app_context() or anchor_path() is None:
        return
    if not _anchor_due():
        return
    try:
        anchor_tip(session.get_bind().engine)
    except OSError as error:
        # The transaction is committed (a citizen's report, a staff action): its answer must not become a 500.
        # The next commit tries again; until then the chain in the database is checked against the older anchor.
        current_app.extensions.pop(_LAST_ANCHORED_KEY, None)
        log.error("The audit anchor could not be written to %s (%s): check that its folder exists, can be "
                  "written and has space.", anchor_path(), error.strerror or type(error).__name__)
    except SQLAlchemyError as error:
        # The database went away after the commit, before the tip could be read: the commit stands all the same.
        current_app.extensions.pop(_LAST_ANCHORED_KEY, None)
        log.error("The audit anchor could not read the committed tip (%s); the next commit tries again.",
                  type(error).__name__)
    except Exception as error:  # anything else the file or the chain holds: the commit stands all the same
        current_app.extensions.pop(_LAST_ANCHORED_KEY, None)
        log.error("The audit anchor could not be written (%s); the next commit tries again. Run 'civicwatch audit "
                  "verify'.", type(error).__name__)


def anchor_tip(engine: Engine) -> None:
    """Append the committed tip, unless the chain no longer holds the newest anchor."""
    # Read the committed tip afresh: an entry added in a rolled-back savepoint must never be anchored.
    with engine.connect() as connection:
        tip = connection.execute(text("SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1")).first()
        if tip is None:
            return
        current = read_anchor()
        if current is not None and not chain_contains(connection, current):
            # Moving the anchor past a truncated or swapped chain would hide it: keep the evidence.
            log.error("The audit log no longer holds anchored entry %s: the anchor is not moved. "
                      "Run 'civicwatch audit verify'.", current.seq)
            return
        write_anchor(Anchor(tip.seq, tip.hash, _first_hash(connection)))


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
