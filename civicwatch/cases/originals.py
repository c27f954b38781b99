"""Sealed originals: an uploaded file exactly as it was sent, kept (encrypted under CIVICWATCH_EVIDENCE_KEY) only
when the complainant chose to keep it as evidence. Reading one checks it against the hash taken on receipt; who
may read it is the disclosure domain's decision (a custodian's grant)."""
from __future__ import annotations

import hashlib
import logging

from flask import Response
from flask_babel import gettext

from civicwatch.cases.attachments import EXTENSIONS, clean_filename, stored_path
from civicwatch.cases.models import Attachment
from civicwatch.crypto import EVIDENCE_KEY, DecryptionError, decrypt_bytes_with
from civicwatch.errors import ConflictError, NotFoundError

log = logging.getLogger(__name__)


def has_original(attachment: Attachment) -> bool:
    return attachment.original_stored_name is not None


def read_original(attachment: Attachment) -> bytes:
    """The original's bytes, decrypted and checked against the SHA-256 taken on receipt."""
    if not has_original(attachment):
        raise NotFoundError(gettext("The original of this file was not kept."))
    path = stored_path(attachment.original_stored_name)
    if not path.is_file():
        raise NotFoundError(gettext("The original of this file is not available."))
    try:
        data = decrypt_bytes_with(EVIDENCE_KEY, path.read_bytes())
    except DecryptionError:
        log.error("the sealed original of attachment %s could not be decrypted", attachment.id)
        raise ConflictError(gettext("The original of this file could not be opened with the evidence key.")) from None
    if hashlib.sha256(data).hexdigest() != attachment.original_sha256:
        log.error("the sealed original of attachment %s does not match its hash", attachment.id)
        raise ConflictError(gettext("The original of this file does not match the fingerprint taken when it was "
                                    "received: it is not given out."))
    return data


def original_response(attachment: Attachment, data: bytes) -> Response:
    """A download of the original, never shown inline, with the hash it was checked against."""
    stem = clean_filename(attachment.original_name).rsplit(".", 1)[0] or "file"
    extension = EXTENSIONS.get(attachment.content_type, "bin")
    response = Response(data, mimetype="application/octet-stream")
    response.headers["Content-Disposition"] = f'attachment; filename="{_ascii(stem)}-original.{extension}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Digest"] = f"sha-256={attachment.original_sha256}"
    return response


def _ascii(name: str) -> str:
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_ ") else "_" for ch in name)[:100] or "file"
