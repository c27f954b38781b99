"""Reading and verifying the audit log."""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import Select, or_, select
from sqlalchemy.exc import DataError

from civicwatch.audit.anchor import Anchor, anchor_history, anchor_path
from civicwatch.audit.models import AuditEntry
from civicwatch.audit.operations import (
    GENESIS_HASH,
    SWITCH_ACTION,
    LegacySeal,
    chain_key,
    entry_digest,
    legacy_chain_key,
)
from civicwatch.extensions import db


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    entry_id: int
    reason: str


# What reading a stored value back raises when it is one no writer of the log produces, put there with SQL: a
# time SQLite cannot parse or PostgreSQL's 'infinity', a value that is not JSON.
_UNREADABLE = (ValueError, TypeError, OverflowError, DataError)


@dataclass(frozen=True)
class UnreadableEntry:
    """An entry whose row is there but whose values cannot be read: what the chain needs of it, and why."""
    id: int
    seq: int
    prev_hash: str
    hash: str
    error: str


def readable_entries(query: Select[tuple[AuditEntry]]) -> list[AuditEntry | UnreadableEntry]:
    """The entries `query` selects, in its order. One whose stored values cannot be read back stands there as an
    UnreadableEntry instead of failing the whole read: a row changed with SQL must not hide the others."""
    try:
        return list(db.session.scalars(query))
    except _UNREADABLE:
        pass
    keys = query.with_only_columns(AuditEntry.id, AuditEntry.seq, AuditEntry.prev_hash, AuditEntry.hash)
    return [_read_alone(*key) for key in db.session.execute(keys)]


def _entries_in_order(batch: int = 1000) -> Iterator[AuditEntry | UnreadableEntry]:
    last_seq = 0
    while True:
        rows = readable_entries(
            select(AuditEntry).where(AuditEntry.seq > last_seq).order_by(AuditEntry.seq).limit(batch))
        if not rows:
            return
        yield from rows
        last_seq = rows[-1].seq
        db.session.expunge_all()


def _read_alone(entry_id: int, seq: int, prev_hash: str, digest: str) -> AuditEntry | UnreadableEntry:
    try:
        return db.session.scalars(select(AuditEntry).where(AuditEntry.id == entry_id)
                                  .execution_options(populate_existing=True)).one()
    except _UNREADABLE as error:
        return UnreadableEntry(entry_id, seq, prev_hash, digest, str(getattr(error, "orig", None) or error))


def verify_chain() -> tuple[int, ChainBreak | None]:
    """How many entries were read, and the first break, if any (see `chain_breaks`)."""
    checked, breaks = chain_breaks()
    return checked, breaks[0] if breaks else None


def chain_breaks(progress: Callable[[int], None] | None = None, every: int = 100_000,
                 ) -> tuple[int, list[ChainBreak]]:
    """Walk the whole chain from the start; return how many entries were read and every break, in order.
    `progress` is told the number read every `every` entries (a long log takes minutes).

    The walk goes on past a break, each entry checked against the one stored before it: an entry changed once
    stays broken for good (nobody can restore what it said), and must not hide what is changed after it.
    Every anchor recorded outside the database must still match its entry: this catches entries deleted from
    the end, a changed entry re-chained with the key, and a log swapped for another database's.
    Entries before the chain's key switch (a chain begun before CIVICWATCH_AUDIT_KEY) are checked against the
    digest the switch sealed them with, and one by one with the key they were chained with (see `_OldStretch`).
    """
    key = chain_key()
    recorded = {anchor.seq: anchor for anchor in anchor_history()}
    newest = max(recorded.values(), key=lambda a: a.seq, default=None)
    old = _OldStretch.of_chain(key)
    breaks: list[ChainBreak] = []
    prev_hash, expected_seq, checked = GENESIS_HASH, 1, 0
    for entry in _entries_in_order():
        if old is not None and entry.seq < old.switch_seq:
            old.check(entry, functools.partial(_entry_faults, entry, prev_hash, expected_seq, recorded))
        else:
            if old is not None:
                breaks += old.breaks()
                old = None
            changed = isinstance(entry, AuditEntry) and entry.hash != _digest(key, entry)
            faults = _entry_faults(entry, prev_hash, expected_seq, recorded, changed)
            if faults:
                breaks.append(ChainBreak(entry.seq, entry.id, "; ".join(faults)))
        prev_hash, expected_seq, checked = entry.hash, entry.seq + 1, checked + 1
        if progress is not None and checked % every == 0:
            progress(checked)
    if old is not None:
        breaks += old.breaks()
    if newest is not None and expected_seq <= newest.seq:
        breaks.append(ChainBreak(expected_seq, 0, f"entries {expected_seq} to {newest.seq} were deleted "
                                                  "(they were recorded outside the database)"))
    if newest is None and checked and anchor_path() is not None:
        breaks.append(ChainBreak(expected_seq - 1, 0, "the copy of the log's tip recorded outside the database is "
                                                      f"missing ({anchor_path()}); restore it from a backup"))
    return checked, breaks


def _digest(key: bytes, entry: AuditEntry) -> str:
    return entry_digest(key, entry.prev_hash, entry.seq, entry.created_at, entry.user_id, entry.action,
                        entry.object_type, entry.object_id, entry.case_id, entry.before, entry.after)


_CHANGED = "its content was changed after it was written"


@dataclass(frozen=True, slots=True)
class _Held:
    """An entry before the switch that is broken, or may be: its faults with and without a changed content (after
    a rotation of the encryption key every one of them is held: kept small)."""
    seq: int
    entry_id: int
    faults: tuple[str, ...]
    if_changed: tuple[str, ...]
    old_key_fails: bool


class _OldStretch:
    """The entries before the switch to CIVICWATCH_AUDIT_KEY, chained with the key derived from the encryption key.

    Whoever holds that key could chain them again, but not the switch entry, which is chained with the audit key
    and links to the last of them: so they are checked against the digest the switch keeps of them (`sealed`),
    computed with the audit key. When it matches, they are as they were at the upgrade (and those that already
    failed then, `broken_before`, are still named); when it does not, the old key names which one changed, while
    the encryption key is still the one they were chained with (after a rotation, the switch entry is named)."""

    def __init__(self, switch_seq: int, sealed: object, broken_before: object, key: bytes) -> None:
        self.switch_seq = switch_seq
        self.sealed = sealed
        self.broken_before = set(broken_before) if isinstance(broken_before, list) else set()
        self.seal = LegacySeal(key)
        self.old_key = legacy_chain_key()
        self.held: list[_Held] = []
        self.readable = True
        self.old_key_holds = False  # some entry matches the old key: it is still the one they were chained with

    @classmethod
    def of_chain(cls, key: bytes) -> _OldStretch | None:
        """The chain's first switch entry chained with the audit key, or None: a chain keyed with it from the start,
        where no entry may be chained with the old key."""
        candidates = select(AuditEntry).where(AuditEntry.action == SWITCH_ACTION).order_by(AuditEntry.seq)
        for entry in readable_entries(candidates):
            if isinstance(entry, AuditEntry) and entry.hash == _digest(key, entry):
                after = entry.after or {}
                return cls(entry.seq, after.get("sealed"), after.get("broken_before"), key)
        return None

    def check(self, entry: AuditEntry | UnreadableEntry, faults_if: Callable[[bool], list[str]]) -> None:
        """Note what may be wrong with `entry`; `faults_if(changed)` lists its faults."""
        faults = tuple(faults_if(False))
        if isinstance(entry, UnreadableEntry):
            self.readable = False
            self.held.append(_Held(entry.seq, entry.id, faults, faults, False))
            return
        self.seal.add(entry.prev_hash, entry.seq, entry.created_at, entry.user_id, entry.action, entry.object_type,
                      entry.object_id, entry.case_id, entry.before, entry.after)
        old_key_fails = entry.hash != _digest(self.old_key, entry)
        self.old_key_holds = self.old_key_holds or not old_key_fails
        if faults or old_key_fails or entry.seq in self.broken_before:
            if_changed = tuple(faults_if(True)) if faults else (_CHANGED,)
            self.held.append(_Held(entry.seq, entry.id, faults, if_changed, old_key_fails))

    def breaks(self) -> list[ChainBreak]:
        """Their breaks, in order, once the switch entry is reached."""
        intact = self.readable and self.seal.hexdigest() == self.sealed
        found = []
        for held in self.held:
            changed = held.seq in self.broken_before or (not intact and self.old_key_holds and held.old_key_fails)
            faults = held.if_changed if changed else held.faults
            if faults:
                found.append(ChainBreak(held.seq, held.entry_id, "; ".join(faults)))
        if not intact and not found:  # none of them tells which changed: the encryption key was rotated since
            found.append(ChainBreak(self.switch_seq, 0, "an entry before the switch to CIVICWATCH_AUDIT_KEY was "
                                                        "changed: they no longer match the digest sealed then"))
        return found


def _entry_faults(entry: AuditEntry | UnreadableEntry, prev_hash: str, expected_seq: int,
                  recorded: dict[int, Anchor], changed: bool) -> list[str]:
    """What is wrong with one entry, read after the entry stored before it (`prev_hash`, `expected_seq`);
    `changed`: its content no longer matches its hash."""
    faults = []
    if entry.seq != expected_seq:
        faults.append(f"entry {expected_seq} is missing" if entry.seq == expected_seq + 1
                      else f"entries {expected_seq} to {entry.seq - 1} are missing")
    elif entry.prev_hash != prev_hash:  # after a gap, the entry it points at is gone: only its own hash tells
        faults.append("it does not point at the entry before it")
    if isinstance(entry, UnreadableEntry):
        faults.append(f"it cannot be read ({entry.error})")
    elif changed:
        faults.append(_CHANGED)
    if entry.seq == 1 and any(a.database not in (None, entry.hash) for a in recorded.values()):
        faults.append("the copies recorded outside the database belong to another audit log")
    anchor = recorded.get(entry.seq)
    if anchor is not None and entry.hash != anchor.hash:
        faults.append("it differs from the copy recorded outside the database")
    return faults


def audit_entries(visible_case_ids: Select, case_id: int | None = None, user_id: int | None = None,
                  limit: int = 200, before_seq: int | None = None, *, after_seq: int | None = None,
                  action_prefix: str | None = None, since: dt.datetime | None = None,
                  until: dt.datetime | None = None, cases_only: bool = False,
                  ) -> list[AuditEntry | UnreadableEntry]:
    """Newest first. Entries about a case appear only if the case is among `visible_case_ids` (the reader's
    own case visibility), so the audit log never shows what the case page would refuse. `after_seq` reads the
    page just newer than that entry (still returned newest first); `cases_only` keeps entries about a case."""
    visible = AuditEntry.case_id.in_(visible_case_ids)
    query = select(AuditEntry).where(visible if cases_only else or_(AuditEntry.case_id.is_(None), visible))
    if case_id is not None:
        query = query.where(AuditEntry.case_id == case_id)
    if user_id is not None:
        query = query.where(AuditEntry.user_id == user_id)
    if action_prefix:
        query = query.where(AuditEntry.action.startswith(action_prefix, autoescape=True))
    if since is not None:
        query = query.where(AuditEntry.created_at >= since)
    if until is not None:
        query = query.where(AuditEntry.created_at < until)
    if before_seq is not None:
        query = query.where(AuditEntry.seq < before_seq)
    if after_seq is not None:
        newer = readable_entries(query.where(AuditEntry.seq > after_seq).order_by(AuditEntry.seq.asc()).limit(limit))
        return newer[::-1]
    return readable_entries(query.order_by(AuditEntry.seq.desc()).limit(limit))
