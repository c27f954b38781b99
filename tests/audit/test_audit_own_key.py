"""The audit chain's own key (CIVICWATCH_AUDIT_KEY), apart from the encryption key every web process holds: the
encryption key alone forges no entry, and a chain made before the key existed (keyed with a key derived from the
encryption key) still verifies once upgraded, sealed by the entry that records the switch."""
from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from cryptography.fernet import Fernet
from flask import Flask, current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import insert, select, text

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.audit.operations import GENESIS_HASH, entry_digest, record_audit
from civicwatch.audit.queries import chain_breaks, verify_chain
from civicwatch.crypto import derived_key
from civicwatch.extensions import db

BEFORE_THE_KEY = "a7e3c9d1f5b8"  # the last revision whose chain was keyed with the encryption key


@pytest.fixture
def app_config(app_config):
    app_config["AUDIT_ANCHOR_FILE"] = ""  # the chain's key alone, without the copies kept outside the database
    return app_config


def encryption_key_only() -> bytes:
    """What whoever holds CIVICWATCH_ENCRYPTION_KEY (every web process) can compute."""
    return derived_key("audit-chain")


def _digest(key: bytes, entry: AuditEntry, prev_hash: str) -> str:
    return entry_digest(key, prev_hash, entry.seq, entry.created_at, entry.user_id, entry.action,
                        entry.object_type, entry.object_id, entry.case_id, entry.before, entry.after)


def _rechain_from(entries: list[AuditEntry], start: int, key: bytes) -> None:
    """Change entry `start` and chain it and every later entry again with `key`, as a forger would."""
    prev_hash = entries[start - 1].hash if start else GENESIS_HASH
    for entry in entries[start:]:
        entry.prev_hash = prev_hash
        entry.hash = prev_hash = _digest(key, entry, prev_hash)
        db.session.execute(text("UPDATE audit_entries SET action = :action, prev_hash = :prev, hash = :hash "
                                "WHERE id = :id"),
                           {"action": entry.action, "prev": entry.prev_hash, "hash": entry.hash, "id": entry.id})
    db.session.commit()


def test_the_encryption_key_alone_cannot_rewrite_an_entry(app: Flask, make_user) -> None:
    make_user(Role.TRIAGE)
    make_user(Role.AUDITOR)
    assert verify_chain()[1] is None
    entries = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
    target = len(entries) - 2
    entries[target].action = "user.nothing_to_see"
    _rechain_from(entries, target, encryption_key_only())
    checked, broken = verify_chain()
    assert broken is not None and broken.seq == entries[target].seq, broken


def test_the_encryption_key_alone_cannot_append_an_entry(app: Flask, make_user, clock) -> None:
    make_user(Role.TRIAGE)
    tip = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    forged = AuditEntry(seq=tip.seq + 1, created_at=clock.now, user_id=None, action="user.password_reset",
                        object_type="users", object_id="1", case_id=None, before=None, after={"by": "admin"},
                        prev_hash=tip.hash, hash="")
    forged.hash = _digest(encryption_key_only(), forged, tip.hash)
    db.session.add(forged)
    db.session.commit()
    checked, broken = verify_chain()
    assert broken is not None and broken.seq == forged.seq, broken


def test_rotating_the_encryption_key_leaves_the_chain_verifiable(app: Flask) -> None:
    app.config["CIVICWATCH_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    record_audit(None, "settings.checked", after={"n": 1})
    db.session.commit()
    assert verify_chain()[1] is None, "rotating the encryption key changed the chain's key"


# ---------------------------------------------------------------- a chain made before the key existed

LEGACY = [("user.create", {"role": "admin"}), ("case.received", {"channel": "web"}),
          ("case.transition", {"status": "triaged"})]


def _legacy_chain(clock) -> list[str]:
    """Entries written by the release before CIVICWATCH_AUDIT_KEY: keyed with the encryption key's derived key."""
    hashes, prev_hash = [], GENESIS_HASH
    with db.engine.begin() as connection:
        for seq, (action, after) in enumerate(LEGACY, start=1):
            at = clock.now + dt.timedelta(seconds=seq)
            digest = entry_digest(encryption_key_only(), prev_hash, seq, at, None, action, "system", None, None,
                                  None, after)
            connection.execute(insert(AuditEntry.__table__).values(
                seq=seq, created_at=at, action=action, object_type="system", after=after, prev_hash=prev_hash,
                hash=digest))
            hashes.append(digest)
            prev_hash = digest
    return hashes


@pytest.fixture
def upgraded(empty_app: Flask, clock) -> list[str]:
    """A database of the release before the audit key, with a chain of its own, upgraded to this release."""
    empty_app.config["AUDIT_ANCHOR_FILE"] = ""
    upgrade(revision=BEFORE_THE_KEY)
    legacy = _legacy_chain(clock)
    upgrade()
    return legacy


def test_an_old_chain_still_verifies_after_the_upgrade_and_goes_on_with_the_audit_key(upgraded: list[str]
                                                                                     ) -> None:
    legacy = upgraded
    entries = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
    assert [entry.hash for entry in entries[:3]] == legacy  # never re-keyed: copies kept elsewhere still match
    switch = entries[3]
    assert switch.action == "audit.key_switched" and switch.prev_hash == legacy[-1]
    assert verify_chain() == (4, None)

    record_audit(None, "settings.checked", after={"n": 1})
    db.session.commit()
    newest = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert newest.seq == 5 and newest.hash != _digest(encryption_key_only(), newest, newest.prev_hash)
    assert verify_chain() == (5, None)


def test_after_the_upgrade_the_encryption_key_forges_nothing(upgraded: list[str]) -> None:
    record_audit(None, "settings.checked", after={"n": 1})
    db.session.commit()
    entries = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))

    # After the switch: an entry changed and chained again with the old key.
    entries[4].action = "settings.nothing"
    _rechain_from(entries, 4, encryption_key_only())
    assert verify_chain()[1].seq == 5

    # Before it: an old entry changed and the old stretch chained again up to the switch, which seals it.
    entries[1].action = "case.nothing"
    _rechain_from(entries[:3], 1, encryption_key_only())
    assert 4 in [broken.seq for broken in chain_breaks()[1]]


def test_deleting_the_switch_does_not_make_the_old_key_good_again(upgraded: list[str]) -> None:
    db.session.execute(text("DELETE FROM audit_entries WHERE action = 'audit.key_switched'"))
    db.session.commit()
    checked, broken = verify_chain()
    assert broken is not None and broken.seq == 1


def test_the_audit_key_never_appears_in_logs_outputs_or_audit_values(app: Flask, make_user, caplog) -> None:
    key = app.config["CIVICWATCH_AUDIT_KEY"]
    with caplog.at_level(logging.DEBUG):
        make_user(Role.ADMIN)
        outputs = [app.test_cli_runner().invoke(args=["civicwatch", "audit", *args]).output
                   for args in (["verify"], ["anchor"])]
    values = [json.dumps([entry.before, entry.after]) for entry in db.session.scalars(select(AuditEntry))]
    for place in [caplog.text, *outputs, *values]:
        assert key not in place


def test_the_old_stretch_stays_verifiable_after_the_encryption_key_is_rotated(upgraded: list[str]) -> None:
    """The switch keeps a digest of the entries before it under the audit key: they no longer need the key they
    were chained with, and a change to one still shows."""
    current_app.config["CIVICWATCH_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    assert verify_chain() == (4, None)
    db.session.execute(text("UPDATE audit_entries SET action = 'case.nothing' WHERE seq = 2"))
    db.session.commit()
    assert [broken.seq for broken in chain_breaks()[1]] == [4]


def test_a_chain_empty_at_the_upgrade_gets_no_switch(empty_app: Flask) -> None:
    upgrade()
    assert db.session.scalar(select(AuditEntry.id)) is None


def test_a_downgrade_takes_the_switch_away_while_it_is_the_newest_entry(upgraded: list[str]) -> None:
    db.session.remove()  # PostgreSQL: no open transaction may hold the table the downgrade writes
    downgrade(revision=BEFORE_THE_KEY)
    assert list(db.session.scalars(select(AuditEntry.hash).order_by(AuditEntry.seq))) == upgraded
