"""Files attached to cases, as citizens send them: checked by content, images re-encoded without metadata,
stored outside the web root, and sent to staff only as downloads.

A photo's EXIF block can carry the GPS position of the reporter's home, the phone model and the time;
we never keep the bytes we were sent, only pixels re-encoded from them.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from flask import Response, current_app, send_file
from PIL import Image, ImageOps, UnidentifiedImageError

from civicwatch.cases.models import Attachment, Case, CaseMessage
from civicwatch.errors import DomainError, NotFoundError
from civicwatch.extensions import db

MAX_FILES = 5
MAX_FILE_BYTES = 10 * 1024 * 1024
# Larger than any phone camera; refuses decompression bombs before their pixels are allocated.
MAX_PIXELS = 50_000_000

JPEG = "image/jpeg"
PNG = "image/png"
PDF = "application/pdf"
EXTENSIONS = {JPEG: "jpg", PNG: "png", PDF: "pdf"}
_STORED_NAME = re.compile(r"[A-Za-z0-9_-]{8,64}(\.[a-z0-9]{1,8})?")
ALLOWED_DESCRIPTION = "photos (JPEG or PNG) or PDF documents"


class AttachmentError(DomainError):
    """A file that cannot be accepted; the message names the file and says what to do."""

    field = "attachments"


@dataclass(frozen=True)
class IncomingFile:
    """A file as received from a form, an MMS or an API: the name the sender gave and the raw bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class PreparedFile:
    """A file that passed the checks: the bytes we will store (re-encoded for images) and their type."""

    original_name: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def sniff_content_type(data: bytes) -> str | None:
    """The type from the first bytes (magic numbers); the file name and the browser's claim are ignored."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"%PDF-"):
        return PDF
    return None


def clean_filename(name: str | None) -> str:
    """The sender's file name, for staff to recognise it: no path, no control characters, bounded."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:200] or "file"


def prepare_upload(incoming: IncomingFile) -> PreparedFile:
    """Check one file and make the bytes we will keep. Raises AttachmentError with a plain message."""
    name = clean_filename(incoming.filename)
    if not incoming.data:
        raise AttachmentError(f"“{name}” is empty. Choose the file again.")
    if len(incoming.data) > MAX_FILE_BYTES:
        raise AttachmentError(f"“{name}” is larger than 10 MB. Send a smaller photo or a shorter document.")
    content_type = sniff_content_type(incoming.data)
    if content_type is None:
        raise AttachmentError(f"“{name}” is not a photo or PDF we can accept. Send {ALLOWED_DESCRIPTION}.")
    data = incoming.data if content_type == PDF else reencode_image(incoming.data, content_type, name)
    return PreparedFile(original_name=name, content_type=content_type, data=data)


def prepare_uploads(files: Sequence[IncomingFile | PreparedFile]) -> list[PreparedFile]:
    if len(files) > MAX_FILES:
        raise AttachmentError(f"You can send up to {MAX_FILES} files at a time.")
    return [f if isinstance(f, PreparedFile) else prepare_upload(f) for f in files]


def reencode_image(data: bytes, content_type: str, name: str) -> bytes:
    """Decode and encode again from bare pixels: EXIF, GPS, XMP, comments and text chunks are left behind."""
    unreadable = AttachmentError(f"“{name}” could not be read as a photo. Send it again or as a different file.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise AttachmentError(f"“{name}” has too many pixels. Send a smaller photo.")
                image.load()
                ImageOps.exif_transpose(image, in_place=True)  # keep what the camera meant; no extra copy
                return _encode_bare(image, content_type)
    except AttachmentError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError,
            Image.DecompressionBombWarning, EOFError, MemoryError) as exc:
        raise unreadable from exc


def _encode_bare(image: Image.Image, content_type: str) -> bytes:
    if content_type == JPEG:
        mode = image.mode if image.mode in ("RGB", "L") else "RGB"
    else:
        mode = image.mode if image.mode in ("RGB", "RGBA", "L", "LA") else "RGBA"
    converted = image if image.mode == mode else image.convert(mode)
    bare = Image.new(mode, converted.size)  # a new image: its .info is empty
    bare.paste(converted)
    out = io.BytesIO()
    if content_type == JPEG:
        bare.save(out, format="JPEG", quality=88, optimize=True)
    else:
        bare.save(out, format="PNG", optimize=True)
    return out.getvalue()


def upload_root() -> Path:
    root = current_app.config.get("UPLOAD_DIR")
    if not root:
        raise RuntimeError("UPLOAD_DIR is not configured")
    return Path(root)


def attachment_path(attachment: Attachment) -> Path:
    """Where the stored file lives. Stored names are random hex plus an extension: they cannot escape UPLOAD_DIR."""
    name = attachment.stored_name or ""
    if not _STORED_NAME.fullmatch(name):
        raise NotFoundError("This file is not available.")
    return upload_root() / name[:2] / name


def save_attachment(case: Case, prepared: PreparedFile, message: CaseMessage | None = None) -> Attachment:
    """Write the file under a random name (readable by the app's user only) and add its row. Flushes."""
    stored_name = f"{secrets.token_hex(16)}.{EXTENSIONS[prepared.content_type]}"
    attachment = Attachment(
        case=case,
        message_id=message.id if message is not None else None,
        stored_name=stored_name,
        original_name=prepared.original_name,
        content_type=prepared.content_type,
        size=len(prepared.data),
        sha256=prepared.sha256,
    )
    path = attachment_path(attachment)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(prepared.data)
    db.session.add(attachment)
    db.session.flush()
    return attachment


def send_attachment(attachment: Attachment) -> Response:
    """A download response for staff. The caller must already have checked the user may see the case.

    Always `Content-Disposition: attachment`, never inline, with nosniff and a sandboxing CSP, so that
    a crafted PDF or image can never run in the application's origin.
    """
    path = attachment_path(attachment)
    if not path.is_file():
        raise NotFoundError("This file is not available.")
    extension = EXTENSIONS.get(attachment.content_type, "bin")
    stem = clean_filename(attachment.original_name).rsplit(".", 1)[0] or "file"
    response = send_file(
        path,
        mimetype=attachment.content_type if attachment.content_type in EXTENSIONS else "application/octet-stream",
        as_attachment=True,
        download_name=f"{stem}.{extension}",
        max_age=0,
        conditional=False,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "no-store"
    return response
