"""JPEGs built to cost far more to decode than their size says: the files are sent through the report form and
must be refused, quickly and plainly, before libjpeg or Pillow spend the time and memory they ask for.

- A progressive JPEG (or any JPEG sent in several scans) is decoded whole into its coefficients, two bytes a
  coefficient at full size, before any pixel comes out: decoding it at 1/8 saves nothing. 89 megapixels of one
  colour make a 2 MB file that takes 530 MB.
- Every scan makes libjpeg walk the whole image again: a scan that says "nothing here" takes 39 bytes, so 10 MB
  of them keep a process busy for minutes (0.7 MB took 13 s on a 10000 x 8900 picture).
- Every segment before the picture (comments, application data) is read by Pillow in Python: 10 MB of empty
  ones took 5 s and 350 MB.
"""
from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import func, select

from civicwatch.cases.models import Attachment, Case
from civicwatch.extensions import db
from tests.security.test_security_uploads import report_with

START_OF_SCAN, END_OF_IMAGE = b"\xff\xda", b"\xff\xd9"


def grey_jpeg(size: tuple[int, int], progressive: bool) -> bytes:
    out = io.BytesIO()
    Image.new("L", size, 128).save(out, format="JPEG", progressive=progressive, quality=50)
    return out.getvalue()


def scans_of(jpeg: bytes) -> list[bytes]:
    """Each scan (its header and its coded data) of a JPEG whose scans hold no 0xFF byte but stuffed ones."""
    parts = jpeg[:jpeg.rindex(END_OF_IMAGE)].split(START_OF_SCAN)[1:]
    return [START_OF_SCAN + part.split(b"\xff\xc4")[0] for part in parts]  # up to the next Huffman table, if any


def with_scan_repeated(jpeg: bytes, times: int) -> bytes:
    """The JPEG with its shortest scan sent again `times` times before its end: a valid file, a scan at a time."""
    shortest = min(scans_of(jpeg), key=len)
    end = jpeg.rindex(END_OF_IMAGE)
    return jpeg[:end] + shortest * times + jpeg[end:]


def stored() -> tuple[int, int]:
    return (db.session.scalar(select(func.count()).select_from(Case)),
            db.session.scalar(select(func.count()).select_from(Attachment)))


def test_a_progressive_jpeg_over_the_pixel_limit_is_refused_rather_than_decoded_whole(app, client):
    big = grey_jpeg((5000, 3000), progressive=True)  # 15 megapixels; a baseline one is decoded at half size
    response = report_with(client, [(big, "wide.jpg")])
    assert response.status_code == 400
    assert "“wide.jpg” is 5,000 × 3,000 pixels, more than we can take." in response.get_data(as_text=True)
    assert stored() == (0, 0)


def test_a_baseline_jpeg_over_the_pixel_limit_is_still_kept_at_a_smaller_scale(app, client):
    response = report_with(client, [(grey_jpeg((5000, 3000), progressive=False), "wide.jpg")])
    assert response.status_code == 303
    assert stored() == (1, 1)


def test_a_progressive_photo_within_the_limit_is_kept(app, client):
    photo = with_scan_repeated(grey_jpeg((400, 300), progressive=True), 20)  # a few more scans than usual
    response = report_with(client, [(photo, "progressive.jpg")])
    assert response.status_code == 303
    assert stored() == (1, 1)


def test_a_jpeg_of_thousands_of_scans_is_refused_before_it_is_decoded(app, client):
    bomb = with_scan_repeated(grey_jpeg((2000, 2000), progressive=True), 3000)
    with Image.open(io.BytesIO(bomb)) as check:  # a real JPEG that Pillow would decode, scan after scan
        check.load()
    response = report_with(client, [(bomb, "scans.jpg")])
    assert response.status_code == 400
    assert "“scans.jpg” could not be read as a photo." in response.get_data(as_text=True)
    assert stored() == (0, 0)


def test_a_jpeg_padded_with_thousands_of_empty_segments_is_refused_before_they_are_read(app, client):
    photo = grey_jpeg((40, 30), progressive=False)
    padded = photo[:2] + b"\xff\xfe\x00\x02" * 200_000 + photo[2:]  # 200,000 empty comments: 0.8 MB
    response = report_with(client, [(padded, "padded.jpg")])
    assert response.status_code == 400
    assert "“padded.jpg” could not be read as a photo." in response.get_data(as_text=True)
    assert stored() == (0, 0)
