"""The original of an upload: hashed on receipt (the hash on the receipt and the case page), kept only when the
sender ticks "Keep the original file as evidence", and then only encrypted under the evidence key."""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from sqlalchemy import select

from civicwatch.cases.attachments import attachment_path, stored_path, sweep_orphaned_uploads
from civicwatch.cases.models import Attachment, Case
from civicwatch.extensions import db
from tests.factories import jpeg_with_gps
from tests.intake.conftest import post_report

TELL_TALE = b"TellTalePhone"  # in the original's EXIF block, never in the cleaned copy


def files_on_disk() -> list[Path]:
    return sorted(path for path in Path(current_app.config["UPLOAD_DIR"]).rglob("*") if path.is_file())


def database_values() -> list[bytes]:
    values = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(table.select()):
            values.extend(value if isinstance(value, bytes) else str(value).encode() for value in row)
    return values


def receipt_page(client) -> str:
    return client.get("/report/received").get_data(as_text=True)


def test_without_the_choice_no_original_byte_reaches_disk_or_database(client, app):
    original = jpeg_with_gps()
    assert post_report(client, files=[(original, "photo.jpg")]).status_code == 303
    fingerprint = hashlib.sha256(original).hexdigest()
    assert fingerprint in receipt_page(client)
    [attachment] = db.session.scalars(select(Attachment))
    assert attachment.original_sha256 == fingerprint and attachment.original_stored_name is None
    assert files_on_disk() == [attachment_path(attachment)]
    for path in files_on_disk():
        assert TELL_TALE not in path.read_bytes() and original not in path.read_bytes()
    for value in database_values():
        assert TELL_TALE not in value and original not in value


def test_a_kept_original_is_encrypted_at_rest_and_matches_its_hash(client, app, login_as, make_user):
    original = jpeg_with_gps()
    assert post_report(client, files=[(original, "photo.jpg")], keep_originals="y").status_code == 303
    fingerprint = hashlib.sha256(original).hexdigest()
    assert fingerprint in receipt_page(client)
    [attachment] = db.session.scalars(select(Attachment))
    sealed = stored_path(attachment.original_stored_name)
    assert set(files_on_disk()) == {attachment_path(attachment), sealed}
    at_rest = sealed.read_bytes()
    assert TELL_TALE not in at_rest and original not in at_rest and b"JFIF" not in at_rest
    assert oct(sealed.stat().st_mode & 0o777) == "0o600"
    assert Fernet(current_app.config["CIVICWATCH_EVIDENCE_KEY"]).decrypt(at_rest) == original
    for other in ("CIVICWATCH_ENCRYPTION_KEY", "CIVICWATCH_IDENTITY_KEY"):
        with pytest.raises(InvalidToken):
            Fernet(current_app.config[other]).decrypt(at_rest)
    for value in database_values():
        assert TELL_TALE not in value
    # Staff see the hash on the case page, and the cleaned copy is what they download.
    staff = login_as(make_user("triage"))
    case = db.session.scalar(select(Case))
    page = staff.get(f"/staff/cases/{case.id}").get_data(as_text=True)
    assert fingerprint in page and "Original kept as evidence (sealed)" in page
    with staff.get(f"/staff/cases/{case.id}/attachments/{attachment.id}") as download:
        assert download.status_code == 200 and TELL_TALE not in download.get_data()


def test_the_sweep_keeps_sealed_originals(client, app, clock):
    post_report(client, files=[(jpeg_with_gps(), "photo.jpg")], keep_originals="y")
    clock.advance(days=400)  # every file is old enough to be swept, were it an orphan
    report = sweep_orphaned_uploads(dt.timedelta(0))
    assert report.removed == 0 and report.referenced == 2 and len(files_on_disk()) == 2


def test_bad_uploads_are_still_refused_with_the_box_ticked(client, app):
    response = post_report(client, files=[(b"MZ\x90\x00 not a photo", "photo.jpg")], keep_originals="y")
    assert response.status_code == 400
    assert "is not a photo or PDF we can accept" in response.get_data(as_text=True)
    assert db.session.scalar(select(Case)) is None and files_on_disk() == []


def test_the_box_is_offered_unticked_and_translated(client, app):
    page = client.get("/report").get_data(as_text=True)
    assert 'name="keep_originals"' in page and "Keep the original file as evidence" in page
    assert 'name="keep_originals" type="checkbox" value="y" checked' not in page
    french = client.get("/report", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Garder le fichier original comme preuve" in french
