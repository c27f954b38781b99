"""A PNG padded with hundreds of thousands of empty chunks: Pillow reads and checks each one in Python, before and
after the pixels (9 MB of them took 6 s of CPU). It is refused before Pillow reads it."""
from __future__ import annotations

import struct
import zlib

import pytest
from sqlalchemy import func, select

from civicwatch.cases.models import Attachment, Case
from civicwatch.extensions import db
from tests.factories import png_bytes
from tests.security.test_security_uploads import report_with

HEADER_END = 8 + 25  # the signature, then the IHDR chunk


def chunk(kind: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def end_of_image(png: bytes) -> int:
    return png.rindex(b"IEND") - 4


@pytest.mark.parametrize("where", ["before the pixels", "after the pixels", "empty pixel chunks"])
def test_a_png_of_hundreds_of_thousands_of_chunks_is_refused_before_it_is_read(app, client, where):
    png = png_bytes((40, 30))
    if where == "before the pixels":
        padded = png[:HEADER_END] + chunk(b"abCd") * 200_000 + png[HEADER_END:]
    elif where == "after the pixels":
        padded = png[:end_of_image(png)] + chunk(b"abCd") * 200_000 + png[end_of_image(png):]
    else:
        first_pixels = png.index(b"IDAT") - 4
        padded = png[:first_pixels] + chunk(b"IDAT") * 200_000 + png[first_pixels:]
    response = report_with(client, [(padded, "padded.png")])
    assert response.status_code == 400
    assert "“padded.png” could not be read as a photo." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_a_png_whose_pixels_come_in_many_small_chunks_is_kept(app, client):
    png = png_bytes((40, 30))
    start = png.index(b"IDAT") - 4
    length = int.from_bytes(png[start:start + 4], "big")
    pixels = png[start + 8:start + 8 + length]
    split = b"".join(chunk(b"IDAT", pixels[at:at + 16]) for at in range(0, len(pixels), 16))
    response = report_with(client, [(png[:start] + split + png[start + 12 + length:], "screenshot.png")])
    assert response.status_code == 303
