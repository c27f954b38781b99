"""PDFs whose few kilobytes unfold to hundreds of megabytes once a stream is decoded (Flate gives up to 1,000
times its size, LZW more), sent through the report form. Cleaning a PDF decodes its pages' drawing instructions
(to find the photos written inside them) and photos behind other filters: nothing may unfold past a bound, and
what is refused is refused plainly, with nothing stored."""
from __future__ import annotations

import io
import zlib
from pathlib import Path

import pytest
from pikepdf import Array, Dictionary, Name
from PIL import Image
from sqlalchemy import func, select

from civicwatch.cases.models import Attachment, Case
from civicwatch.extensions import db
from tests.factories import one_page_pdf, pdf_bytes
from tests.security.test_security_uploads import report_with

MB = 1024 * 1024
TOO_COMPLEX = "is made of too many parts for us to check"


def lzw_run(cycles: int, byte: int = 0x20) -> bytes:
    """LZW (as PDF writes it, EarlyChange 1) of one byte repeated: each code stands for one byte more than the one
    before, so 5 KB of codes unfold to 7 MB, `cycles` times over."""
    out, buffer, bits, width = bytearray(), 0, 0, 9

    def emit(code: int) -> None:
        nonlocal buffer, bits
        buffer, bits = (buffer << width) | code, bits + width
        while bits >= 8:
            bits -= 8
            out.append((buffer >> bits) & 0xFF)
        buffer &= (1 << bits) - 1

    emit(256)  # clear the table
    for _ in range(cycles):
        emit(byte)
        for entry in range(259, 4094):  # the entry the decoder adds after each code
            if entry + 1 > (1 << width) and width < 12:
                width += 1
            if entry < 4093:
                emit(entry - 1)
        emit(256)
        width = 9
    emit(257)  # end of data
    if bits:
        out.append((buffer << (8 - bits)) & 0xFF)
    return bytes(out)


def stored() -> tuple[int, int]:
    return (db.session.scalar(select(func.count()).select_from(Case)),
            db.session.scalar(select(func.count()).select_from(Attachment)))


def files_under(app) -> list[Path]:
    return [path for path in Path(app.config["UPLOAD_DIR"]).rglob("*") if path.is_file()]


def assert_refused(app, response, name: str, words: str) -> None:
    assert response.status_code == 400
    assert f"“{name}” {words}" in response.get_data(as_text=True)
    assert stored() == (0, 0) and files_under(app) == []


def spaces(megabytes: int) -> bytes:
    return zlib.compress(b" " * (megabytes * MB), 9)


@pytest.mark.parametrize("where", ["page", "form"])
def test_drawing_instructions_that_unfold_to_100_mb_are_refused(app, client, where):
    pdf = one_page_pdf()
    bomb = pdf.make_stream(spaces(100), Filter=Name.FlateDecode)  # 100 KB
    if where == "page":
        pdf.pages[0].Contents = bomb
    else:
        bomb.Type, bomb.Subtype, bomb.BBox = Name.XObject, Name.Form, Array([0, 0, 10, 10])
        pdf.pages[0].Resources.XObject = Dictionary(Fm1=bomb)
        pdf.pages[0].Contents = pdf.make_stream(pdf.pages[0].Contents.read_bytes() + b" /Fm1 Do")
    assert_refused(app, report_with(client, [(pdf_bytes(pdf), "bomb.pdf")]), "bomb.pdf", TOO_COMPLEX)


def test_one_drawing_drawn_a_hundred_times_over_is_counted_each_time(app, client):
    pdf = one_page_pdf()
    drawing = pdf.make_stream(spaces(1), Filter=Name.FlateDecode)
    pdf.pages[0].Contents = Array([pdf.pages[0].Contents] + [drawing] * 100)  # joined into one stream of 100 MB
    assert_refused(app, report_with(client, [(pdf_bytes(pdf), "joined.pdf")]), "joined.pdf", TOO_COMPLEX)


def test_drawing_instructions_in_lzw_that_unfold_to_100_mb_are_refused(app, client):
    pdf = one_page_pdf()
    pdf.pages[0].Contents = pdf.make_stream(lzw_run(14), Filter=Name.LZWDecode)  # 76 KB for 103 MB
    sent = pdf_bytes(pdf, compress_streams=False)  # kept in LZW
    assert_refused(app, report_with(client, [(sent, "old.pdf")]), "old.pdf", "is compressed in an old way")


def test_an_lzw_image_is_refused_too_rather_than_unfolded_to_be_compressed_again(app, client):
    pdf = one_page_pdf()
    pdf.pages[0].Resources.XObject = Dictionary(Im1=pdf.make_stream(
        lzw_run(14, byte=0x80), Filter=Name.LZWDecode, Type=Name.XObject, Subtype=Name.Image, Width=10_000,
        Height=10_000, ColorSpace=Name.DeviceGray, BitsPerComponent=8))
    pdf.pages[0].Contents = pdf.make_stream(pdf.pages[0].Contents.read_bytes() + b" q 100 0 0 100 72 400 cm /Im1 Do Q")
    sent = pdf_bytes(pdf, compress_streams=False)  # kept in LZW
    assert_refused(app, report_with(client, [(sent, "scan.pdf")]), "scan.pdf", "is compressed in an old way")


def test_a_photo_behind_flate_that_unfolds_to_100_mb_is_refused_not_stored_unfolded(app, client):
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, format="JPEG")
    pdf = one_page_pdf()
    pdf.pages[0].Resources.XObject = Dictionary(Im1=pdf.make_stream(
        zlib.compress(out.getvalue() + bytes(100 * MB), 9), Filter=Array([Name.FlateDecode, Name.DCTDecode]),
        Type=Name.XObject, Subtype=Name.Image, Width=8, Height=8, ColorSpace=Name.DeviceRGB, BitsPerComponent=8))
    pdf.pages[0].Contents = pdf.make_stream(pdf.pages[0].Contents.read_bytes() + b" q 8 0 0 8 72 400 cm /Im1 Do Q")
    sent = pdf_bytes(pdf)
    assert len(sent) < MB
    assert_refused(app, report_with(client, [(sent, "photo.pdf")]), "photo.pdf", TOO_COMPLEX)


def resident_megabytes(field: str) -> int:
    status = Path("/proc/self/status").read_text()
    return int(status.split(f"{field}:")[1].split()[0]) // 1024


def test_a_page_of_many_instructions_with_a_photo_inside_is_checked_without_holding_each_instruction(app, client):
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, format="JPEG")
    pdf = one_page_pdf()
    pdf.pages[0].Contents = pdf.make_stream(
        b"q 8 0 0 8 72 400 cm BI /W 8 /H 8 /CS /RGB /BPC 8 /F /DCT ID " + out.getvalue() + b" EI Q\n"
        + b"0 0 m\n" * 500_000)  # a dense map: 3 MB of drawing, 16 KB once compressed
    sent = pdf_bytes(pdf)
    Path("/proc/self/clear_refs").write_text("5")  # the peak of this process's memory starts again from now
    before = resident_megabytes("VmRSS")
    response = report_with(client, [(sent, "map.pdf")])
    assert response.status_code == 303
    # Each instruction was made an object to find the photo: 500,000 of them took 280 MB.
    assert resident_megabytes("VmHWM") - before < 100


def test_one_form_drawn_by_many_pages_is_counted_for_each_page(app, client):
    """qpdf reads a form with resources of its own again for every page that draws it, to drop what it does not
    use: 100 pages drawing one 30 MB form (a file of 32 KB) took 71 s."""
    pdf = one_page_pdf()
    form = pdf.make_stream(spaces(4), Filter=Name.FlateDecode, Type=Name.XObject, Subtype=Name.Form,
                           BBox=Array([0, 0, 10, 10]), Resources=Dictionary(Font=pdf.pages[0].Resources.Font))
    resources = pdf.make_indirect(Dictionary(XObject=Dictionary(Fm1=form)))
    drawing = pdf.make_stream(b"/Fm1 Do")
    for _ in range(30):
        page = pdf.add_blank_page()
        page.obj.Contents, page.obj.Resources = drawing, resources
    assert_refused(app, report_with(client, [(pdf_bytes(pdf), "slides.pdf")]), "slides.pdf", TOO_COMPLEX)
