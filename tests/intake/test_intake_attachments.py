"""Files: type from the content, metadata really gone from what is stored, limits, safe downloads."""
from __future__ import annotations

import hashlib
import io
import os
import stat
import warnings

import pikepdf
import pytest
from PIL import Image, ImageOps
from sqlalchemy import func, select

from civicwatch.cases.attachments import (
    MAX_FILE_BYTES,
    AttachmentError,
    IncomingFile,
    attachment_path,
    prepare_upload,
    send_attachment,
    sniff_content_type,
)
from civicwatch.cases.images import MAX_STORED_PIXELS
from civicwatch.cases.models import Attachment, Case
from civicwatch.errors import NotFoundError
from civicwatch.extensions import db
from tests.factories import GPS_TAG, MAKE_TAG, jpeg_with_gps, png_with_text
from tests.intake.conftest import PDF_BYTES, RECEIPT_RE, WHAT_HAPPENED, post_report

ORIENTATION_TAG = 0x0112


def stored_attachments() -> list[Attachment]:
    return list(db.session.scalars(select(Attachment).order_by(Attachment.id)))


def test_photo_metadata_is_gone_from_the_stored_file(client, app):
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as check:  # the test file really carries what must go
        assert check.getexif()[MAKE_TAG] == "TellTalePhone" and check.getexif().get_ifd(GPS_TAG)

    response = post_report(client, files=[(original, "IMG_20260301_home.jpg")])
    assert response.status_code == 303
    [attachment] = stored_attachments()
    path = attachment_path(attachment)
    raw = path.read_bytes()
    with Image.open(path) as stored:
        assert stored.format == "JPEG" and stored.size == (40, 30)
        assert len(stored.getexif()) == 0
        assert not stored.getexif().get_ifd(GPS_TAG)
        assert "exif" not in stored.info and "comment" not in stored.info and "xmp" not in stored.info
    for tell_tale in (b"Exif", b"TellTalePhone", b"home: Kissy Road", b"TellTaleXMP"):
        assert tell_tale not in raw
    assert attachment.content_type == "image/jpeg" and attachment.size == len(raw)
    assert attachment.sha256 == hashlib.sha256(raw).hexdigest()
    assert attachment.original_name == "IMG_20260301_home.jpg"


def test_stored_outside_the_web_root_under_a_random_name(client, app):
    post_report(client, files=[(jpeg_with_gps(), "photo.jpg")])
    [attachment] = stored_attachments()
    path = attachment_path(attachment)
    assert path.is_relative_to(app.config["UPLOAD_DIR"])
    assert not path.is_relative_to(app.static_folder)
    assert "photo" not in attachment.stored_name and len(attachment.stored_name) == 36
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert client.get(f"/static/{attachment.stored_name}").status_code == 404


def test_rotated_photo_keeps_only_its_orientation(app):
    """Turning 12 MP upright would need a second copy of its pixels: the camera's Orientation stays instead."""
    prepared = prepare_upload(IncomingFile("sideways.jpg", jpeg_with_gps(size=(40, 30), orientation=6)))
    raw = prepared.data
    with Image.open(io.BytesIO(raw)) as image:
        assert dict(image.getexif()) == {ORIENTATION_TAG: 6}
        assert ImageOps.exif_transpose(image).size == (30, 40)  # what a viewer shows: upright
        assert "comment" not in image.info and "xmp" not in image.info
    for tell_tale in (b"TellTalePhone", b"home: Kissy Road", b"TellTaleXMP"):
        assert tell_tale not in raw


def test_png_text_chunks_are_gone(client):
    post_report(client, files=[(png_with_text(), "map.png")])
    [attachment] = stored_attachments()
    raw = attachment_path(attachment).read_bytes()
    assert b"TellTalePlace" not in raw and b"tEXt" not in raw
    with Image.open(attachment_path(attachment)) as image:
        assert image.format == "PNG" and image.mode == "RGBA" and image.getpixel((0, 0)) == (0, 128, 0, 200)


def test_pdf_is_rewritten_with_its_page(client):
    post_report(client, files=[(PDF_BYTES, "medical report.pdf")])
    [attachment] = stored_attachments()
    stored = attachment_path(attachment).read_bytes()
    assert attachment.content_type == "application/pdf" and stored != PDF_BYTES
    assert attachment.size == len(stored) and attachment.sha256 == hashlib.sha256(stored).hexdigest()
    with pikepdf.open(io.BytesIO(stored)) as pdf:
        [page] = pdf.pages
        assert b"(Clinic report: bruises on both arms) Tj" in page.Contents.read_bytes()


def test_password_protected_pdf_is_refused_with_a_plain_message(client):
    with pikepdf.open(io.BytesIO(PDF_BYTES)) as pdf:
        out = io.BytesIO()
        pdf.save(out, encryption=pikepdf.Encryption(user="open sesame", owner="owner"))
    response = post_report(client, files=[(out.getvalue(), "locked.pdf")])
    assert response.status_code == 400
    assert "“locked.pdf” is protected by a password." in response.get_data(as_text=True)
    assert stored_attachments() == []


def test_pdf_locked_only_against_editing_is_stored_without_the_lock(client):
    with pikepdf.open(io.BytesIO(PDF_BYTES)) as pdf:
        out = io.BytesIO()
        pdf.save(out, encryption=pikepdf.Encryption(user="", owner="owner", allow=pikepdf.Permissions(extract=False)))
    assert post_report(client, files=[(out.getvalue(), "bank statement.pdf")]).status_code == 303
    [attachment] = stored_attachments()
    with pikepdf.open(attachment_path(attachment)) as stored:
        assert not stored.is_encrypted
        assert b"(Clinic report: bruises on both arms) Tj" in stored.pages[0].Contents.read_bytes()


def test_pdf_made_of_too_many_parts_is_refused_before_it_is_checked(client):
    with pikepdf.open(io.BytesIO(PDF_BYTES)) as pdf:
        pdf.pages[0].obj.Junk = pikepdf.Array([pdf.make_indirect(pikepdf.Dictionary(N=i)) for i in range(50_000)])
        out = io.BytesIO()
        pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)  # 50,000 objects in 0.3 MB
    response = post_report(client, files=[(out.getvalue(), "many.pdf")])
    assert response.status_code == 400
    assert "“many.pdf” is made of too many parts for us to check." in response.get_data(as_text=True)


@pytest.mark.parametrize("content, name", [
    (b"MZ\x90\x00\x03 a Windows program", "photo.jpg"),
    (b"<html><script>alert(1)</script></html>", "scan.pdf"),
    (b"GIF89a\x01\x00\x01\x00", "funny.gif"),
    (b"PK\x03\x04 a zip or a docx", "statement.docx"),
    (b"\xff\xd8\xff\xe0 truncated jpeg", "broken.jpg"),
    (b"\x89PNG\r\n\x1a\n not really", "broken.png"),
    (b"%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\n%%EOF", "broken.pdf"),
    (PDF_BYTES[:len(PDF_BYTES) // 3], "cut short.pdf"),
])
def test_wrong_or_broken_files_are_refused_and_the_form_kept(client, content, name):
    response = post_report(client, files=[(content, name)], location_text="Bo market")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"“{name}”" in html
    assert "Choose your files again" in html
    assert 'value="Bo market"' in html and WHAT_HAPPENED.split(",")[0] in html
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0
    assert stored_attachments() == []


def test_every_bad_file_is_named(client):
    response = post_report(client, files=[(b"nope", "one.exe"), (jpeg_with_gps(), "fine.jpg"), (b"", "empty.pdf")])
    html = response.get_data(as_text=True)
    assert "“one.exe” is not a photo or PDF" in html and "“empty.pdf” is empty" in html


def test_file_over_10_mb_is_refused_with_a_clear_message(client):
    big = b"%PDF-1.4\n" + b"0" * MAX_FILE_BYTES
    response = post_report(client, files=[(big, "huge.pdf")])
    assert response.status_code == 400
    assert "“huge.pdf” is larger than 10 MB" in response.get_data(as_text=True)
    assert stored_attachments() == []


def test_more_than_five_files_are_refused(client):
    response = post_report(client, files=[(PDF_BYTES, f"page{i}.pdf") for i in range(6)])
    assert response.status_code == 400
    assert "Choose at most 5 files. You chose 6." in response.get_data(as_text=True)
    assert stored_attachments() == []


def test_five_files_are_accepted(client):
    response = post_report(client, files=[(PDF_BYTES, f"page{i}.pdf") for i in range(5)])
    assert response.status_code == 303
    assert len(stored_attachments()) == 5


# Browsers silently drop a cookie longer than this (werkzeug warns past it): a receipt in such a cookie never arrives.
BROWSER_COOKIE_LIMIT = 4093


@pytest.mark.parametrize("letter", ["ب", "📷"])
def test_the_receipt_of_five_files_with_long_names_reaches_the_confirmation_page(client, letter):
    """Phones name files in their owner's script, and a name may have 200 characters: the receipt code, carried to
    the confirmation page in the session cookie with the files' names and fingerprints, must still fit in a
    cookie that browsers keep, or the report is stored and its code is never shown."""
    names = [f"{i} " + letter * 194 + ".pdf" for i in range(5)]  # 200 characters, the most kept
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The 'session' cookie is too large", UserWarning)  # measured below
        response = post_report(client, files=[(PDF_BYTES, name) for name in names])
    assert response.status_code == 303
    [cookie] = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("session=")]
    assert len(cookie) <= BROWSER_COOKIE_LIMIT, f"a browser drops this {len(cookie)}-byte cookie and the receipt"
    page = client.get("/report/received").get_data(as_text=True)
    assert RECEIPT_RE.search(page)
    assert page.count(hashlib.sha256(PDF_BYTES).hexdigest()) == 5
    assert "0 " + letter * 10 in page and ".pdf" in page  # each name still recognisable, if shortened


def test_decompression_bomb_is_refused(app):
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, format="PNG")  # 81 megapixels in a few kilobytes
    with pytest.raises(AttachmentError, match="is 9,000 × 9,000 pixels, more than we can take"):
        prepare_upload(IncomingFile("bomb.png", out.getvalue()))


def test_huge_png_is_refused_through_the_form_before_it_is_decoded(client):
    out = io.BytesIO()
    Image.new("1", (7000, 7000)).save(out, format="PNG")  # 196 MB once decoded in colour
    response = post_report(client, files=[(out.getvalue(), "map.png")], location_text="Bo market")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "“map.png” is 7,000 × 7,000 pixels, more than we can take." in html
    assert "at most 12 megapixels" in html and 'value="Bo market"' in html
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_png_at_the_limit_is_stored_at_full_size(client):
    out = io.BytesIO()
    Image.new("L", (4096, 3072), 90).save(out, format="PNG")
    assert post_report(client, files=[(out.getvalue(), "screenshot.png")]).status_code == 303
    [attachment] = stored_attachments()
    with Image.open(attachment_path(attachment)) as stored:
        assert stored.size == (4096, 3072)


@pytest.mark.parametrize("size, stored_size", [
    ((4032, 3024), (4032, 3024)),  # a 12 MP phone photo: kept as it is
    ((4800, 3600), (2400, 1800)),  # 17 MP: decoded at half size
    ((12000, 6000), (3000, 1500)),  # 72 MP: decoded at a quarter
])
def test_large_photos_are_decoded_small_enough_and_stored_within_the_limit(client, size, stored_size):
    out = io.BytesIO()
    Image.new("RGB", size, (120, 60, 30)).save(out, format="JPEG", quality=50)
    assert post_report(client, files=[(out.getvalue(), "big.jpg")]).status_code == 303
    [attachment] = stored_attachments()
    with Image.open(attachment_path(attachment)) as stored:
        assert stored.size == stored_size
        assert stored.width * stored.height <= MAX_STORED_PIXELS


def test_type_comes_from_the_content_not_the_name():
    assert sniff_content_type(jpeg_with_gps()) == "image/jpeg"
    assert sniff_content_type(png_with_text()) == "image/png"
    assert sniff_content_type(PDF_BYTES) == "application/pdf"
    assert sniff_content_type(b"<svg onload=alert(1)>") is None


def test_send_attachment_is_always_a_download(client, app):
    post_report(client, files=[(PDF_BYTES, "report <script>.pdf"), (jpeg_with_gps(), "photo.jpg")])
    for attachment in stored_attachments():
        with app.test_request_context():
            response = send_attachment(attachment)
            response.direct_passthrough = False
            body = response.get_data()
            response.close()
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"] == "no-store"
        assert response.mimetype == attachment.content_type
        assert body == attachment_path(attachment).read_bytes()
    assert "<script>" not in response.headers["Content-Disposition"]


def test_tampered_stored_name_cannot_escape_the_upload_directory(app):
    for bad in ("../../etc/passwd", "/etc/passwd", "..", "a/b", ""):
        with pytest.raises(NotFoundError):
            attachment_path(Attachment(stored_name=bad))
