"""Scene setting shared by every test folder: stored cases, signed-in staff browsers, multipart posts and files
with tell-tale metadata. Plain functions; the conftest fixtures are thin wrappers around them."""
from __future__ import annotations

import datetime as dt
import io
import itertools
from collections.abc import Iterable, Mapping

import pikepdf
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import TestResponse, encode_multipart

from civicwatch.accounts.models import User
from civicwatch.cases.counts import count_new_case
from civicwatch.cases.deadlines import set_deadlines
from civicwatch.cases.identity import store_contact
from civicwatch.cases.models import Case, CaseEvent, CaseStatus, Channel, Outcome, ReferenceKey
from civicwatch.cases.references import KEY_BYTES, format_reference, new_receipt_code, receipt_hash, temporary_reference
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body, Region, Theme
from tests.conftest import PASSWORD, csrf_token

GPS_TAG = 0x8825
MAKE_TAG = 0x010F
ORIENTATION_TAG = 0x0112

# ---------------------------------------------------------------- cases

STATUS_TIMESTAMPS = {
    CaseStatus.ACKNOWLEDGED: ("acknowledged_at",),
    CaseStatus.INVESTIGATING: ("acknowledged_at",),
    CaseStatus.RESPONDED: ("acknowledged_at", "responded_at"),
    CaseStatus.CLOSED: ("acknowledged_at", "responded_at", "closed_at"),
    CaseStatus.REOPENED: ("acknowledged_at",),
    CaseStatus.REJECTED: ("closed_at",),
    CaseStatus.REFERRED: ("closed_at",),
    CaseStatus.WITHDRAWN: ("closed_at",),
}
HALF_AN_HOUR_LATER = {name: dt.timedelta(minutes=30) for name in ("acknowledged_at", "responded_at", "closed_at")}
ANSWER = {"findings": "The officer was at fault."}

_case_numbers = itertools.count(1)


def store_reference_key(seed: int = 7) -> None:
    """A fixed reference key, as the first case would draw one at random: a test of what references show then
    gives the same answer on every run."""
    db.session.add(ReferenceKey(id=1, key=bytes((seed + i) % 256 for i in range(KEY_BYTES)), shortest_digits=6,
                                created_at=utcnow()))
    db.session.commit()


def create_case(status: CaseStatus | str = CaseStatus.RECEIVED, body: str | Body | None = "police_oversight", *,
                theme: str | None = "misconduct", region: str | Region | None = None, text: str | None = None,
                urgent: bool = False, channel: Channel = Channel.WEB, created_at: dt.datetime | None = None,
                phone: str | None = None, contact: dict | None = None,
                stamped_after: Mapping[str, dt.timedelta] = HALF_AN_HOUR_LATER,
                answered_with: Mapping[str, object] = ANSWER, **fields) -> Case:
    """A committed case in any status, stored directly with the models, with the timestamps its status needs
    (each `stamped_after` its receipt), its deadlines, its final reference and its "received" event.

    `phone` is shorthand for `contact={"phone": phone}`. An answered case (responded, closed) is substantiated,
    with the fields `answered_with`. Other keyword arguments are set on the case last, so they can override
    deadlines, timestamps and the answer.
    """
    status = CaseStatus(status)
    if isinstance(body, str):
        body = db.session.query(Body).filter_by(code=body).one()
    if isinstance(region, str):
        region = db.session.query(Region).filter_by(code=region).one()
    created = created_at or utcnow() - dt.timedelta(hours=1)
    case = Case(
        reference=temporary_reference(), receipt_hash=receipt_hash(new_receipt_code()),
        text=text if text is not None else (
            f"An officer at the station shouted at my neighbour, complaint number {next(_case_numbers)}."),
        channel=channel, status=status, urgent=urgent, body=body, created_at=created,
        theme=db.session.query(Theme).filter_by(code=theme).one() if theme else None,
        theme_confidence=0.9 if theme else None, routed_by_hand=False,
    )
    if region is not None:
        case.region = region
    if phone:
        contact = {"phone": phone}
    store_contact(case, contact)
    set_deadlines(case, body, created)
    for name in STATUS_TIMESTAMPS.get(status, ()):
        setattr(case, name, created + stamped_after[name])
    if status in (CaseStatus.RESPONDED, CaseStatus.CLOSED):
        case.outcome = Outcome.SUBSTANTIATED
        for name, value in answered_with.items():
            setattr(case, name, value)
    for name, value in fields.items():
        setattr(case, name, value)
    db.session.add(case)
    db.session.flush()
    case.reference = format_reference(created.year, case.id)
    count_new_case(case)
    db.session.add(CaseEvent(case=case, kind="received", to_status="received", public=True, created_at=created))
    db.session.commit()
    return case


# ---------------------------------------------------------------- staff browsers

def staff_client(app: Flask, user: User, password: str = PASSWORD) -> FlaskClient:
    """A separate browser signed in as `user`, so that several staff members can act side by side."""
    client = app.test_client()
    response = client.post("/login", data={"csrf_token": csrf_token(client), "email": user.email,
                                           "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


# ---------------------------------------------------------------- multipart posts

def post_multipart(client: FlaskClient, path: str, fields: dict, files: Iterable[tuple[bytes, str]] | None = None,
                   field_name: str = "attachments", **kwargs) -> TestResponse:
    """POST multipart/form-data encoded in memory, as a browser sends it (the test client spools large bodies
    to a temporary file it never closes, which the warnings-as-errors setting would report)."""
    values = MultiDict(fields)
    for content, name in files or ():
        values.add(field_name, FileStorage(io.BytesIO(content), filename=name))
    boundary, body = encode_multipart(values)
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}", **kwargs)


# ---------------------------------------------------------------- files with tell-tale metadata

def jpeg_with_gps(size: tuple[int, int] = (40, 30), orientation: int | None = None,
                  comment: bytes = b"home: Kissy Road",
                  xmp: bytes | None = b"<x:xmpmeta>TellTaleXMP</x:xmpmeta>") -> bytes:
    """A JPEG carrying a camera make, GPS coordinates, a comment and (unless `xmp` is None) XMP: all must go."""
    exif = Image.Exif()
    exif[MAKE_TAG] = "TellTalePhone"
    exif[GPS_TAG] = {1: "N", 2: (8.0, 29.0, 3.0), 3: "W", 4: (13.0, 14.0, 5.0)}
    if orientation:
        exif[ORIENTATION_TAG] = orientation
    extra = {"xmp": xmp} if xmp is not None else {}
    out = io.BytesIO()
    Image.new("RGB", size, (180, 40, 40)).save(out, format="JPEG", exif=exif.tobytes(), comment=comment, **extra)
    return out.getvalue()


def png_bytes(size: tuple[int, int] = (12, 12), text_chunk: str | None = None, key: str = "Comment",
              mode: str = "RGB", color: tuple[int, ...] = (10, 120, 200)) -> bytes:
    """A PNG, with a text chunk `key`: `text_chunk` when one is given."""
    info = PngInfo()
    if text_chunk:
        info.add_text(key, text_chunk)
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def png_with_text() -> bytes:
    """A small translucent PNG whose text chunk names a place."""
    return png_bytes((16, 16), "TellTalePlace", key="Location", mode="RGBA", color=(0, 128, 0, 200))


def one_page_pdf(text: str = "Statement of the witness") -> pikepdf.Pdf:
    """A PDF (open, for a test to add to) whose one page shows `text` in Helvetica."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica))
    page = pdf.add_blank_page(page_size=(595, 842))
    page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.Contents = pdf.make_stream(f"BT /F1 14 Tf 72 760 Td ({text}) Tj ET".encode())
    return pdf


def pdf_bytes(pdf: pikepdf.Pdf, **save_options) -> bytes:
    out = io.BytesIO()
    pdf.save(out, **save_options)
    return out.getvalue()


def text_pdf(text: str = "Clinic report: bruises on both arms") -> bytes:
    """A one-page PDF whose page shows `text` in Helvetica."""
    return pdf_bytes(one_page_pdf(text))
