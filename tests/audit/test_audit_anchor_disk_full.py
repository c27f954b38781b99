"""The disk fills while the audit anchor's line is appended: the write stops part of the way, as a write does on a
full disk (a short count, then ENOSPC). The line cut short must not swallow the next anchor once there is space
again, and the cut is logged as the anchor's other failures are.

The disk is simulated at the operating system's boundary (`os.write` on the anchor file only), as in
tests/intake/test_intake_upload_failures.py."""
from __future__ import annotations

import errno
import logging
import os

from sqlalchemy import select

from civicwatch.audit.anchor import anchor_history, anchor_path, read_anchor
from civicwatch.audit.models import AuditEntry
from civicwatch.audit.operations import record_audit
from civicwatch.extensions import db


class FullDiskForTheAnchor:
    """`os.write` to the anchor file: the first write stores half of its bytes and returns that count, the next
    ones fail with ENOSPC. Other writes are untouched."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.real_write = os.write
        self.writes = 0

    def __call__(self, descriptor: int, data) -> int:
        if os.readlink(f"/proc/self/fd/{descriptor}") != self.path:
            return self.real_write(descriptor, data)
        self.writes += 1
        if self.writes == 1:
            return self.real_write(descriptor, bytes(data[:len(data) // 2]))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def commit_an_entry(action: str) -> int:
    record_audit(None, action)
    db.session.commit()
    return db.session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))


def test_an_anchor_line_cut_short_by_a_full_disk_does_not_swallow_the_next_one(app, monkeypatch, caplog):
    before = commit_an_entry("test.before")
    assert read_anchor().seq == before
    full = FullDiskForTheAnchor(str(anchor_path().resolve()))
    monkeypatch.setattr(os, "write", full)
    with caplog.at_level(logging.ERROR, logger="civicwatch.audit.anchor"):
        commit_an_entry("test.while_full")
    assert full.writes == 1
    assert "audit anchor could not be written" in caplog.text

    monkeypatch.undo()  # space is freed
    after = commit_an_entry("test.after")
    assert read_anchor().seq == after
    assert [anchor.seq for anchor in anchor_history()][-2:] == [before, after]
