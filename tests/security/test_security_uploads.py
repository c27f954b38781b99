"""Uploads from the internet: polyglots, disguised SVG and HTML, inline PDFs, path tricks in names, files
too large or too many, and photos that give away where the reporter lives.
"""
from __future__ import annotations

import io
import re
import zlib

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name, String
from PIL import Image
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Attachment, Case
from civicwatch.extensions import db
from tests.conftest import csrf_token
from tests.factories import (
    GPS_TAG,
    MAKE_TAG,
    jpeg_with_gps,
    one_page_pdf,
    pdf_bytes,
    png_bytes,
    post_multipart,
    staff_client,
)
from tests.security.conftest import MINIMAL_PDF, report_fields, send_report, upload_files

SCRIPT = b"<script>alert(document.domain)</script>"
SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
       b"<script>alert(document.cookie)</script></svg>")
HTML = b"<!doctype html><html><body><script>fetch('/staff/')</script></body></html>"


def camera_photo() -> bytes:
    """A JPEG whose comment is marked "TellTale" too (and no XMP, which the PDF scan below does not plant)."""
    return jpeg_with_gps(comment=b"home: Kissy Road TellTaleComment", xmp=None)


def report_with(client, files):
    fields = report_fields("upload")
    fields["csrf_token"] = csrf_token(client, "/report")
    return post_multipart(client, "/report", fields, files)


def download(app, make_user, case_id: int):
    """Every file of the case as staff download it: (attachment, response headers, bytes)."""
    staff = staff_client(app, make_user(Role.TRIAGE))
    result = []
    for item in db.session.scalars(select(Attachment).where(Attachment.case_id == case_id).order_by(Attachment.id)):
        response = staff.get(f"/staff/cases/{case_id}/attachments/{item.id}")
        data = response.get_data()
        response.close()
        assert response.status_code == 200
        result.append((item, response.headers, data))
    return result


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    import struct

    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


@pytest.mark.parametrize("content,name", [
    (SVG, "photo.png"), (SVG, "photo.svg"), (HTML, "photo.jpg"), (HTML, "doc.pdf"),
    (b"GIF89a" + SCRIPT, "x.gif"), (b"<svg" + png_bytes(), "x.png"), (b"MZ\x90\x00" + b"\x00" * 100, "x.exe"),
])
def test_files_that_are_not_photos_or_pdfs_are_refused_whatever_their_name(app, client, content, name):
    response = report_with(client, [(content, name)])
    assert response.status_code == 400
    assert db.session.query(Case).count() == 0
    assert db.session.query(Attachment).count() == 0
    assert upload_files(app) == []


def test_polyglot_images_are_re_encoded_to_bare_pixels(app, client, make_user):
    """A valid PNG with HTML in a text chunk and after IEND; a JPEG with script in a comment and appended."""
    png = png_bytes()
    iend = png.rindex(b"IEND") - 4
    png_polyglot = png[:iend] + png_chunk(b"tEXt", b"Comment\x00" + SCRIPT) + png[iend:] + HTML
    jpeg = io.BytesIO()
    Image.new("RGB", (20, 20), (1, 2, 3)).save(jpeg, format="JPEG", comment=SCRIPT)
    jpeg_polyglot = jpeg.getvalue() + HTML
    assert report_with(client, [(png_polyglot, "a.png"), (jpeg_polyglot, "b.jpg")]).status_code == 303
    case_id = db.session.scalar(select(Case.id))
    files = download(app, make_user, case_id)
    assert len(files) == 2
    for _item, headers, data in files:
        assert b"<script" not in data.lower() and b"<html" not in data.lower()
        assert headers["Content-Type"] in ("image/png", "image/jpeg")
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Content-Disposition"].startswith("attachment")
    for path in upload_files(app):
        assert b"<script" not in path.read_bytes().lower()


def test_pdfs_are_only_ever_downloaded_never_shown_inline(app, client, make_user):
    pdf_with_html = MINIMAL_PDF + b"\n" + HTML
    assert report_with(client, [(pdf_with_html, "report.html")]).status_code == 303
    case_id = db.session.scalar(select(Case.id))
    [(item, headers, data)] = download(app, make_user, case_id)
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"].startswith("attachment")
    assert ".html" not in headers["Content-Disposition"]
    assert headers["Content-Disposition"].rstrip('"').endswith(".pdf")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in headers["Content-Security-Policy"]
    assert "no-store" in headers["Cache-Control"]


@pytest.mark.parametrize("name", [
    "../../../../etc/passwd.png", "..\\..\\..\\windows\\win.ini.png", "/etc/cron.d/evil.png",
    "C:\\temp\\x.png", "a\x00b.png", "x.png\r\nContent-Type: text/html", "\u202egnp.exe", "....//....//x.png",
    "%2e%2e%2fx.png",
])
def test_file_names_cannot_escape_the_upload_folder_or_inject_headers(app, client, make_user, tmp_path, name):
    assert report_with(client, [(png_bytes(), name)]).status_code == 303
    stored = upload_files(app)
    upload_root = (tmp_path / "uploads").resolve()
    outside = [p for p in tmp_path.rglob("*") if p.is_file() and not p.resolve().is_relative_to(upload_root)
               and not p.name.startswith("test.sqlite3") and p.name != "audit_anchor.json"]
    assert outside == []
    if not stored:  # a line break in the name breaks the multipart header itself: no file arrives at all
        assert "\n" in name and db.session.query(Attachment).count() == 0
        return
    assert len(stored) == 1
    item = db.session.scalar(select(Attachment))
    assert "/" not in item.original_name and "\\" not in item.original_name
    assert "\x00" not in item.original_name and "\r" not in item.original_name and "\n" not in item.original_name
    assert name not in item.stored_name
    [(_, headers, _)] = download(app, make_user, item.case_id)
    disposition = headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition and "/" not in disposition.split("filename", 1)[1]
    assert "Content-Type: text/html" not in str(headers).split("Content-Type: image/png")[0]
    assert headers["Content-Type"] == "image/png"


def test_a_body_over_the_limit_is_refused_with_413(app, client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    big = b"\x89PNG\r\n\x1a\n" + b"\x00" * (limit + 1024)
    response = report_with(client, [(big, "huge.png")])
    assert response.status_code == 413
    assert db.session.query(Case).count() == 0
    assert upload_files(app) == []


def test_a_single_file_over_10_mb_is_refused(app, client):
    big = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024 + 10)
    response = report_with(client, [(big, "big.pdf")])
    assert response.status_code == 400
    assert db.session.query(Case).count() == 0
    assert upload_files(app) == []


def test_more_than_five_files_are_refused(app, client):
    response = report_with(client, [(png_bytes(), f"{i}.png") for i in range(6)])
    assert response.status_code == 400
    assert db.session.query(Case).count() == 0
    assert upload_files(app) == []


def test_too_many_files_in_a_reply_are_refused(app):
    reported = send_report(app, "reply-files")
    client = app.test_client()
    from tests.security.conftest import track

    assert track(client, reported.code).status_code == 303
    fields = {"csrf_token": csrf_token(client, "/track/case"), "text": "Here are more photos."}
    response = post_multipart(client, "/track/case/reply", fields, [(png_bytes(), f"{i}.png") for i in range(6)])
    assert response.status_code == 400
    assert db.session.query(Attachment).count() == 0


def test_a_decompression_bomb_is_refused_without_an_error(app, client):
    out = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(out, format="PNG")  # 144 megapixels in a few kilobytes
    response = report_with(client, [(out.getvalue(), "bomb.png")])
    assert response.status_code == 400
    assert db.session.query(Case).count() == 0


def test_photo_location_and_camera_are_stripped(app, client, make_user):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("GPS", "8.4840,-13.2299 TellTaleText")
    exif = Image.Exif()
    exif[GPS_TAG] = {1: "N", 2: (8.0, 29.0, 3.0)}
    png = io.BytesIO()
    Image.new("RGB", (10, 10)).save(png, format="PNG", pnginfo=info, exif=exif.tobytes())
    assert report_with(client, [(camera_photo(), "home.jpg"), (png.getvalue(), "home.png")]).status_code == 303
    case_id = db.session.scalar(select(Case.id))
    for _item, _headers, data in download(app, make_user, case_id):
        image = Image.open(io.BytesIO(data))
        exif_read = image.getexif()
        assert GPS_TAG not in exif_read and MAKE_TAG not in exif_read
        assert not exif_read.get_ifd(GPS_TAG)
        assert b"TellTale" not in data and b"Kissy" not in data
        assert b"Exif" not in data and b"eXIf" not in data and b"tEXt" not in data
    for path in upload_files(app):
        assert b"TellTale" not in path.read_bytes()


def pdf_carrying_everything() -> bytes:
    """A one-page statement that also carries, each marked "TellTale": the author and the scanner's serial
    number (document information and XMP), a GPS-tagged photo, JavaScript run on opening, on the page, by a
    form field and from the document's name tree, an XFA form with a script, two embedded files (one as a
    page annotation), a link out and a launch action in a bookmark."""
    pdf = one_page_pdf("Statement of the witness")
    page = pdf.pages[0]
    photo = pdf.make_stream(camera_photo(), Type=Name.XObject, Subtype=Name.Image, Width=40, Height=30,
                            ColorSpace=Name.DeviceRGB, BitsPerComponent=8, Filter=Name.DCTDecode)
    page.Resources.XObject = Dictionary(Im1=photo)
    page.Contents = pdf.make_stream(page.Contents.read_bytes() + b" q 40 0 0 30 72 600 cm /Im1 Do Q")
    script = "app.alert('TellTale{}JS')".format
    page.obj.AA = Dictionary(O=Dictionary(S=Name.JavaScript, JS=String(script("Page"))))
    pdf.Root.OpenAction = Dictionary(S=Name.JavaScript, JS=String(script("Open")))
    pdf.attachments["notes.txt"] = pikepdf.AttachedFileSpec(pdf, b"TellTaleEmbeddedFile", mime_type="text/plain")
    pdf.Root.Names.JavaScript = Dictionary(Names=Array([String("init"), pdf.make_indirect(
        Dictionary(S=Name.JavaScript, JS=String(script("Named"))))]))
    embedded = pdf.make_stream(b"TellTaleAnnotationFile", Type=Name.EmbeddedFile)
    attachment = Dictionary(Type=Name.Annot, Subtype=Name.FileAttachment, Rect=[10, 10, 30, 30],
                            FS=Dictionary(Type=Name.Filespec, F=String("x.txt"), EF=Dictionary(F=embedded)))
    link = Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=[0, 0, 100, 100],
                      A=Dictionary(S=Name.URI, URI=String("https://tracker.example/TellTaleLink")))
    field = pdf.make_indirect(Dictionary(
        FT=Name.Tx, T=String("name"), Type=Name.Annot, Subtype=Name.Widget, Rect=[100, 100, 200, 120],
        AA=Dictionary(K=Dictionary(S=Name.JavaScript, JS=String(script("Field"))))))
    page.Annots = Array([pdf.make_indirect(attachment), pdf.make_indirect(link), field])
    pdf.Root.AcroForm = Dictionary(Fields=Array([field]), XFA=pdf.make_stream(
        b"<xdp:xdp><template><script>TellTaleXFA</script></template></xdp:xdp>"))
    bookmark = pdf.make_indirect(Dictionary(Title=String("Open"), A=Dictionary(
        S=Name.Launch, F=String("TellTaleLaunch.exe"))))
    pdf.Root.Outlines = pdf.make_indirect(Dictionary(Type=Name.Outlines, First=bookmark, Last=bookmark, Count=1))
    bookmark.Parent = pdf.Root.Outlines
    with pdf.open_metadata(set_pikepdf_as_editor=False) as xmp:
        xmp["dc:creator"] = ["TellTaleXmpAuthor"]
        xmp["xmp:CreatorTool"] = "ScanMaster 3000 serial TellTaleXmpSerial"
    pdf.docinfo[Name.Author] = "TellTaleAuthor"
    pdf.docinfo[Name.Creator] = "ScanMaster 3000 serial TellTaleSerial"
    return pdf_bytes(pdf)


def everything_readable(data: bytes) -> bytes:
    """The PDF with every stream decompressed and no object streams, so a byte search sees all of it."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return pdf_bytes(pdf, compress_streams=False, object_stream_mode=pikepdf.ObjectStreamMode.disable,
                         stream_decode_level=pikepdf.StreamDecodeLevel.generalized)


def test_pdfs_lose_metadata_scripts_actions_and_embedded_files_but_keep_their_pages(app, client, make_user):
    sent = pdf_carrying_everything()
    planted = {name.decode() for name in re.findall(rb"TellTale\w+", everything_readable(sent))}
    assert planted == {  # the test file really carries all of it
        "TellTaleAuthor", "TellTaleSerial", "TellTaleXmpAuthor", "TellTaleXmpSerial", "TellTalePhone",
        "TellTaleComment", "TellTaleOpenJS", "TellTalePageJS", "TellTaleNamedJS", "TellTaleFieldJS", "TellTaleXFA",
        "TellTaleEmbeddedFile", "TellTaleAnnotationFile", "TellTaleLink", "TellTaleLaunch"}

    assert report_with(client, [(sent, "statement.pdf")]).status_code == 303
    [(item, headers, data)] = download(app, make_user, db.session.scalar(select(Case.id)))
    assert headers["Content-Type"] == "application/pdf"

    readable = everything_readable(data)
    assert re.findall(rb"TellTale\w+", readable) == []
    for key in (b"/JS", b"/JavaScript", b"/AA", b"/OpenAction", b"/EmbeddedFile", b"/EF", b"/URI", b"/Launch",
                b"/XFA", b"/Metadata", b"/Author", b"/Creator", b"/Producer", b"Exif"):
        assert key not in readable, key
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert "/Info" not in pdf.trailer and not pdf.attachments
        [page] = pdf.pages
        assert b"(Statement of the witness) Tj" in page.Contents.read_bytes()
        photo = pikepdf.PdfImage(page.Resources.XObject.Im1).as_pil_image()
        assert photo.size == (40, 30) and photo.getpixel((20, 15))[0] > 150  # the photo is still there, red


def streams_undone(data: bytes) -> bytes:
    """The file, and each of its streams with Flate undone by hand (also in front of /DCTDecode, which qpdf's
    own decoding leaves alone), and its pages' drawing instructions."""
    parts = [data]
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream):
                raw = obj.read_raw_bytes()
                parts.append(raw)
                try:
                    parts.append(zlib.decompress(raw))
                except zlib.error:
                    pass
        parts.extend(page.Contents.read_bytes() for page in pdf.pages)
    return b"\n".join(parts)


def pdf_with_a_photo(kind: str) -> bytes:
    photo = jpeg_with_gps(comment=b"home: Kissy Road TellTaleComment", xmp=None)
    pdf = one_page_pdf("Statement of the witness")
    page = pdf.pages[0]
    if kind == "flate+dct":  # the JPEG compressed once more, as many PDF writers do
        image = pdf.make_stream(zlib.compress(photo), Type=Name.XObject, Subtype=Name.Image, Width=40, Height=30,
                                ColorSpace=Name.DeviceRGB, BitsPerComponent=8,
                                Filter=Array([Name.FlateDecode, Name.DCTDecode]))
        page.Resources.XObject = Dictionary(Im1=image)
        page.Contents = pdf.make_stream(page.Contents.read_bytes() + b" q 40 0 0 30 72 600 cm /Im1 Do Q")
    else:  # written inside the page's drawing instructions: BI ... ID ... EI
        page.Contents = pdf.make_stream(page.Contents.read_bytes() + b" q 40 0 0 30 72 600 cm BI /W 40 /H 30 "
                                        b"/CS /RGB /BPC 8 /F /DCT ID " + photo + b" EI Q")
    return pdf_bytes(pdf)


@pytest.mark.parametrize("kind", ["flate+dct", "inline"])
def test_a_photo_in_a_pdf_loses_its_exif_however_it_is_written(app, client, make_user, kind):
    sent = pdf_with_a_photo(kind)
    assert b"TellTalePhone" in streams_undone(sent) and b"TellTaleComment" in streams_undone(sent)
    assert report_with(client, [(sent, "statement.pdf")]).status_code == 303
    [(_, _, data)] = download(app, make_user, db.session.scalar(select(Case.id)))
    readable = streams_undone(data)
    assert b"TellTale" not in readable and b"Exif" not in readable
    with pikepdf.open(io.BytesIO(data)) as pdf:
        [page] = pdf.pages
        if kind == "inline":
            [image] = [item.iimage for item in pikepdf.parse_content_stream(page)
                       if isinstance(item, pikepdf.ContentStreamInlineImage)]
            assert image.as_pil_image().size == (40, 30)
        else:
            assert pikepdf.PdfImage(page.Resources.XObject.Im1).as_pil_image().getpixel((20, 15))[0] > 150


def jpeg2000_with_metadata() -> bytes:
    """A scanner's JPEG 2000 page: its encoder comment names the device, an XML box holds XMP with a position."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, "JPEG2000", comment=b"TellTaleScanner SN 4411")
    image = out.getvalue()
    xmp = b"<x:xmpmeta><exif:GPSLatitude>8,29.1N TellTaleGPS</exif:GPSLatitude></x:xmpmeta>"
    box = (len(xmp) + 8).to_bytes(4, "big") + b"xml " + xmp
    at = image.index(b"jp2c") - 4
    return image[:at] + box + image[at:]


@pytest.mark.parametrize("filters", [[Name.JPXDecode], [Name.FlateDecode, Name.JPXDecode]])
def test_a_jpeg2000_scan_in_a_pdf_loses_its_metadata_and_keeps_its_picture(app, client, make_user, filters):
    scan = jpeg2000_with_metadata()
    pdf = one_page_pdf("Statement of the witness")
    page = pdf.pages[0]
    raw = zlib.compress(scan) if len(filters) > 1 else scan
    page.Resources.XObject = Dictionary(Im1=pdf.make_stream(raw, Type=Name.XObject, Subtype=Name.Image, Width=40,
                                                            Height=30, Filter=Array(filters)))
    page.Contents = pdf.make_stream(page.Contents.read_bytes() + b" q 40 0 0 30 72 600 cm /Im1 Do Q")
    sent = pdf_bytes(pdf)
    assert b"TellTaleGPS" in streams_undone(sent) and b"TellTaleScanner" in streams_undone(sent)
    assert report_with(client, [(sent, "scan.pdf")]).status_code == 303
    [(_, _, data)] = download(app, make_user, db.session.scalar(select(Case.id)))
    assert b"TellTale" not in streams_undone(data)
    with pikepdf.open(io.BytesIO(data)) as cleaned:
        image = cleaned.pages[0].Resources.XObject.Im1
        assert image.Filter == Name.JPXDecode
        picture = Image.open(io.BytesIO(image.read_raw_bytes()))
        assert picture.size == (40, 30) and picture.getpixel((20, 15))[0] > 150


def test_a_jpeg2000_image_that_cannot_be_followed_is_refused(app, client):
    pdf = one_page_pdf("Statement of the witness")
    scan = jpeg2000_with_metadata()
    pdf.pages[0].Resources.XObject = Dictionary(Im1=pdf.make_stream(scan[:60] + b"\xff" * 10, Type=Name.XObject,
                                                                    Subtype=Name.Image, Width=40, Height=30,
                                                                    Filter=Name.JPXDecode))
    response = report_with(client, [(pdf_bytes(pdf), "scan.pdf")])
    assert response.status_code == 400
    assert db.session.scalar(select(Case.id)) is None


def test_an_inline_photo_behind_other_filters_is_refused(app, client):
    pdf = one_page_pdf("Statement of the witness")
    photo = jpeg_with_gps(xmp=None).hex().encode()
    pdf.pages[0].Contents = pdf.make_stream(pdf.pages[0].Contents.read_bytes() + b" BI /W 40 /H 30 /CS /RGB /BPC 8 "
                                            b"/F [/AHx /DCT] ID " + photo + b"> EI")
    response = report_with(client, [(pdf_bytes(pdf), "statement.pdf")])
    assert response.status_code == 400
    assert "holds an image written in a way we cannot check" in response.get_data(as_text=True)
    assert db.session.scalar(select(Case.id)) is None


def test_comments_lose_their_author_and_dates_and_form_fields_keep_their_names(app, client, make_user):
    """Acrobat and Preview sign every highlight or sticky note with the computer's user name (/T)."""
    pdf = one_page_pdf("Statement of the witness")
    note = pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.Highlight, Rect=[72, 750, 300, 780],
        QuadPoints=[72, 780, 300, 780, 72, 750, 300, 750], T=String("Fatmata TellTaleAnnotAuthor"),
        Contents=String("see the date"), M=String("D:20260301101010+00'00'"),
        CreationDate=String("D:20260301101010+00'00'")))
    field = pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Widget, FT=Name.Tx, Rect=[72, 700, 300, 720],
                                         T=String("incident_place"), V=String("Kenema")))
    pdf.pages[0].Annots = Array([note, field])
    pdf.Root.AcroForm = Dictionary(Fields=Array([field]))
    assert report_with(client, [(pdf_bytes(pdf), "statement.pdf")]).status_code == 303
    [(_, _, data)] = download(app, make_user, db.session.scalar(select(Case.id)))
    readable = streams_undone(data)
    assert b"TellTaleAnnotAuthor" not in readable and b"D:20260301101010" not in readable
    with pikepdf.open(io.BytesIO(data)) as cleaned:
        comment, kept_field = cleaned.pages[0].Annots
        assert comment.Contents == "see the date" and kept_field.T == "incident_place"
