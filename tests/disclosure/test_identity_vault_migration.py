"""The identity vault's migration moves existing contact details from the case (content key) into the vault
(identity key), with their masked forms, and back on the way down."""
from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from civicwatch.crypto import IDENTITY_KEY, DecryptionError, decrypt_json, decrypt_json_with, encrypt_json
from civicwatch.extensions import db

BEFORE = "c7a4e2d91b05"
VAULT = "c4a7e2d91b35"
CONTACT = {"phone": "+23276555123", "email": "fatmata.witness@example.org"}


def test_contact_details_move_into_the_vault_and_back(empty_app, clock):
    upgrade(revision=BEFORE)
    now = clock.now.isoformat(" ")
    with db.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO cases (reference, receipt_hash, text, channel, status, urgent, routed_by_hand, "
            "tracking_generation, version, created_at, updated_at, contact_encrypted) VALUES ('CW-2026-000001', "
            "'h', 'Beaten at the checkpoint.', 'web', 'received', false, false, 0, 1, :now, :now, :contact)"),
            {"now": now, "contact": encrypt_json(CONTACT)})
    upgrade(revision=VAULT)
    with db.engine.connect() as connection:
        token, phone_masked, email_masked = connection.execute(text(
            "SELECT contact_encrypted, phone_masked, email_masked FROM complainant_identities")).one()
        columns = list(connection.execute(text("SELECT * FROM cases")).keys())
    assert decrypt_json_with(IDENTITY_KEY, bytes(token)) == CONTACT
    with pytest.raises(DecryptionError):
        decrypt_json(bytes(token))  # the content key no longer opens it
    assert (phone_masked, email_masked) == ("+232 ••• ••23", "f•••@•••.org")
    assert "contact_encrypted" not in columns

    downgrade(revision=BEFORE)
    with db.engine.connect() as connection:
        restored = connection.execute(text("SELECT contact_encrypted FROM cases")).scalar_one()
    assert decrypt_json(bytes(restored)) == CONTACT
    upgrade()
