"""Files attached to cases, as citizens send them: checked by content, cleaned (images re-encoded without
metadata, PDFs without scripts, attachments or metadata), stored outside the web root, removed with their
transaction, and sent to staff only as downloads.

A photo's EXIF block can carry the GPS position of the reporter's home, the phone model and the time, and
a PDF its author, its scanner and scripts: staff only ever get photos re-encoded from their pixels (images.py)
and PDFs rewritten without metadata or active content (pdfs.py). The bytes we were sent are hashed (SHA-256) on
receipt and are kept only if the sender asks to keep the original as evidence: then encrypted under their own
key (CIVICWATCH_EVIDENCE_KEY), opened only through a custodian's grant (originals.py).

A file written during a transaction belongs to it: it is kept when the transaction commits and removed when
it ends any other way, whatever the reason (a later file could not be written, the commit failed, an
unexpected error, a request that never committed). What a crash leaves behind has no Attachment row and is removed by `sweep_orphaned_uploads`.
"""
from __future__ import annotations

import datetime as dt
import errno
import hashlib
import logging
import os
import re
import secrets
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flask import Response, current_app, send_file
from flask_babel import format_number, gettext
from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction
from werkzeug.datastructures import FileStorage

from civicwatch.cases.images import JPEG, PNG, ImageRefusedError, reencode_image
from civicwatch.cases.models import Attachment, Case, CaseMessage
from civicwatch.cases.pdfs import PdfRefusedError, clean_pdf
from civicwatch.commit_outcome import commit_outcome_unknown
from civicwatch.crypto import EVIDENCE_KEY, encrypt_bytes_with
from civicwatch.database import utcnow
from civicwatch.durable import sync_folder
from civicwatch.errors import DomainError, NotFoundError
from civicwatch.extensions import db
from civicwatch.i18n import N_

log = logging.getLogger(__name__)

MAX_FILES = 5
MAX_FILE_BYTES = 10 * 1024 * 1024

PDF = "application/pdf"
EXTENSIONS = {JPEG: "jpg", PNG: "png", PDF: "pdf"}
SEALED_EXTENSION = "sealed"  # an original kept as evidence, encrypted under the evidence key
_STORED_NAME = re.compile(r"[A-Za-z0-9_-]{8,64}(\.[a-z0-9]{1,8})?")
_SLOTS_KEY = "civicwatch.upload_slots"
_WRITTEN_KEY = "civicwatch.uploads_written"
_WRITE_CHUNK = 1024 * 1024


class AttachmentError(DomainError):
    """A file that cannot be accepted; the message names the file and says what to do."""

    field = "attachments"


class UploadUnavailableError(DomainError):
    """Files cannot be checked or stored just now (disk full or read-only, too many at once): nothing
    was sent, and the sender should try again later or send without the files."""

    status = 503


# The refusals are written when they are raised, in the language of that moment (the page's).
EMPTY = N_("“%(name)s” is empty. Choose the file again.")
# The same words as the page's script says before sending (forms.FILE_INPUT), hence the braces.
LARGER_THAN_ALLOWED = N_("“{name}” is larger than 10 MB. Send a smaller photo or a shorter document.")
NOT_ACCEPTED = N_("“%(name)s” is not a photo or PDF we can accept. Send photos (JPEG or PNG) or PDF documents.")
TOO_MANY = N_("You can send up to %(most)s files at a time.")
NOT_STORED = N_("Nothing was sent: we could not store your files just now. What you wrote is still below. "
                "Try again in a few minutes, or send it without the files and add them later from the "
                "follow-up page with your receipt code.")
BUSY = N_("Nothing was sent: many files are being sent right now and we could not check yours in time. What you "
          "wrote is still below. Try again in a minute, or send it without the files and add them later from "
          "the follow-up page with your receipt code.")


@dataclass(frozen=True)
class IncomingFile:
    """A file as received from a form, an MMS or an API: the name the sender gave and the raw bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class PreparedFile:
    """A file that passed the checks: the bytes we will store (re-encoded or rewritten) and their type, the
    SHA-256 of the bytes as received and, only when the sender asked to keep it as evidence, those bytes."""

    original_name: str
    content_type: str
    data: bytes
    original_sha256: str = ""
    original: bytes | None = field(default=None, repr=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


# ---------------------------------------------------------------- checking and cleaning

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


def prepare_upload(incoming: IncomingFile, keep_original: bool = False) -> PreparedFile:
    """Check one file and make the bytes we will keep (and the original's, if `keep_original`). Raises
    AttachmentError with a plain message, or UploadUnavailableError when no preparation slot frees up in time."""
    name = clean_filename(incoming.filename)
    if not incoming.data:
        raise AttachmentError(gettext(EMPTY, name=name))
    if len(incoming.data) > MAX_FILE_BYTES:
        raise AttachmentError(gettext(LARGER_THAN_ALLOWED).format(name=name))
    content_type = sniff_content_type(incoming.data)
    if content_type is None:
        raise AttachmentError(gettext(NOT_ACCEPTED, name=name))
    try:
        with preparation_slot():
            data = clean_pdf(incoming.data) if content_type == PDF else reencode_image(incoming.data, content_type)
    except ImageRefusedError as exc:
        numbers = {key: format_number(value) for key, value in exc.values.items()}
        raise AttachmentError(gettext(exc.reason, name=name, **numbers)) from exc
    except PdfRefusedError as exc:
        raise AttachmentError(gettext(exc.reason, name=name)) from exc
    return PreparedFile(original_name=name, content_type=content_type, data=data,
                        original_sha256=hashlib.sha256(incoming.data).hexdigest(),
                        original=incoming.data if keep_original else None)


def prepare_uploads(files: Sequence[IncomingFile | PreparedFile], keep_originals: bool = False) -> list[PreparedFile]:
    if len(files) > MAX_FILES:
        raise AttachmentError(gettext(TOO_MANY, most=MAX_FILES))
    return [f if isinstance(f, PreparedFile) else prepare_upload(f, keep_originals) for f in files]


def prepare_form_file(upload: FileStorage, keep_original: bool = False) -> PreparedFile:
    """Read a form's file (spooled to disk by the form parser) and prepare it, holding a slot from the read
    on: an upload waiting for its turn keeps its bytes on disk, not in memory."""
    with preparation_slot():
        return prepare_upload(IncomingFile(upload.filename or "", upload.stream.read(MAX_FILE_BYTES + 1)),
                              keep_original)


def upload_slots() -> threading.BoundedSemaphore:
    """How many files this process reads and decodes or rewrites at once (UPLOAD_CONCURRENCY), so that
    uploads arriving together wait for each other instead of multiplying the memory one of them needs."""
    slots = current_app.extensions.get(_SLOTS_KEY)
    if slots is None:
        fresh = threading.BoundedSemaphore(current_app.config["UPLOAD_CONCURRENCY"])
        slots = current_app.extensions.setdefault(_SLOTS_KEY, fresh)
    return slots


_holding = threading.local()


@contextmanager
def preparation_slot() -> Iterator[None]:
    """Wait for a slot (UPLOAD_WAIT_SECONDS at most, then UploadUnavailableError). A thread that already
    holds one goes on with it."""
    if getattr(_holding, "slot", False):
        yield
        return
    slots = upload_slots()
    if not slots.acquire(timeout=current_app.config["UPLOAD_WAIT_SECONDS"]):
        log.warning("an upload waited too long for a preparation slot")
        raise UploadUnavailableError(gettext(BUSY))
    _holding.slot = True
    try:
        yield
    finally:
        _holding.slot = False
        slots.release()


# ---------------------------------------------------------------- storing

def upload_root() -> Path:
    root = current_app.config.get("UPLOAD_DIR")
    if not root:
        raise RuntimeError("UPLOAD_DIR is not configured")
    return Path(root)


def attachment_path(attachment: Attachment) -> Path:
    """Where the stored file lives. Stored names are random hex plus an extension: they cannot escape UPLOAD_DIR."""
    return stored_path(attachment.stored_name)


def stored_path(stored_name: str | None) -> Path:
    """Where the file stored under `stored_name` lives (NotFoundError for a name we never give)."""
    name = stored_name or ""
    if not _STORED_NAME.fullmatch(name):
        raise NotFoundError("This file is not available.")
    return upload_root() / name[:2] / name


def save_attachment(case: Case, prepared: PreparedFile, message: CaseMessage | None = None) -> Attachment:
    """Add the file's row and write the file under a random name, readable by the app's user only.

    Flushes. The file is removed if the transaction rolls back. Raises UploadUnavailableError when the
    disk refuses it (full, read-only, failing); the caller must then roll back.
    """
    stored_name = f"{secrets.token_hex(16)}.{EXTENSIONS[prepared.content_type]}"
    attachment = Attachment(
        case=case,
        message_id=message.id if message is not None else None,
        stored_name=stored_name,
        original_name=prepared.original_name,
        content_type=prepared.content_type,
        size=len(prepared.data),
        sha256=prepared.sha256,
        original_sha256=prepared.original_sha256 or None,
        original_stored_name=f"{secrets.token_hex(16)}.{SEALED_EXTENSION}" if prepared.original is not None else None,
    )
    db.session.add(attachment)
    db.session.flush()  # the transaction exists before the file does, so its rollback removes the file
    write_transactional_file(attachment_path(attachment), prepared.data)
    if prepared.original is not None:
        write_transactional_file(stored_path(attachment.original_stored_name),
                                 encrypt_bytes_with(EVIDENCE_KEY, prepared.original))
    return attachment


def write_transactional_file(path: Path, data: bytes) -> None:
    """Write a file that belongs to the session's transaction: removed if it rolls back."""
    db.session.info.setdefault(_WRITTEN_KEY, []).append(path)
    try:
        write_private_file(path, data)
    except OSError as exc:
        log.error("could not store an upload: %s", errno.errorcode.get(exc.errno or 0, type(exc).__name__))
        raise UploadUnavailableError(gettext(NOT_STORED)) from exc


def write_private_file(path: Path, data: bytes) -> None:
    """Write a new file (mode 0600, folders 0700) and make it durable, with the folder entries that name it; on
    any error remove what was written."""
    _make_folder(upload_root())
    _make_folder(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        view = memoryview(data)
        while view:
            written = os.write(descriptor, view[:_WRITE_CHUNK])
            view = view[written:]
        os.fsync(descriptor)  # a full disk may only say so here; and a committed row must have its bytes
    except BaseException:
        os.close(descriptor)
        path.unlink(missing_ok=True)
        raise
    os.close(descriptor)
    try:
        sync_folder(path.parent)  # the new entry: without it a power cut may lose the file the row names
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _make_folder(folder: Path) -> None:
    """Create the folder (0700) if it is missing, with its entry in its parent made durable."""
    if folder.is_dir():
        return
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    sync_folder(folder.parent)


@event.listens_for(Session, "after_commit")
def _keep_written_files(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the transaction may still roll back
        return
    session.info.pop(_WRITTEN_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _remove_written_files(session: Session, transaction: SessionTransaction) -> None:
    # After a commit the list is already gone; what is left belongs to a rollback or a session closed without
    # committing. A savepoint's end is not the end of the transaction that wrote the files.
    if transaction.parent is not None:
        return
    written = session.info.pop(_WRITTEN_KEY, [])
    if written and commit_outcome_unknown(session):
        # The COMMIT itself failed: the rows naming these files may be stored. The orphan sweep removes the files
        # later if they are not.
        log.warning("kept %s uploads of a transaction whose commit failed; the orphan sweep removes them if no "
                    "row names them", len(written))
        return
    for path in written:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not remove an upload of a rolled-back transaction (%s); the sweep will",
                        errno.errorcode.get(exc.errno or 0, type(exc).__name__))


# ---------------------------------------------------------------- orphans

@dataclass
class SweepReport:
    removed: int = 0
    referenced: int = 0
    too_recent: int = 0


ORPHAN_MIN_AGE = dt.timedelta(hours=1)
_SWEEP_BATCH = 500


def sweep_orphaned_uploads(min_age: dt.timedelta = ORPHAN_MIN_AGE) -> SweepReport:
    """Remove stored files that no Attachment row names and that are older than `min_age`.

    What a crashed process or a failed removal left behind. A transaction still writing its files is much
    younger than an hour, so its files are never taken. Reads only; the caller ends the transaction.
    """
    report = SweepReport()
    cutoff = (utcnow() - min_age).timestamp()
    old: dict[str, Path] = {}
    for path in stored_files():
        try:
            modified = path.stat().st_mtime
        except FileNotFoundError:
            continue
        if modified < cutoff:
            old[path.name] = path
        else:
            report.too_recent += 1
    names = list(old)
    for start in range(0, len(names), _SWEEP_BATCH):
        batch = names[start:start + _SWEEP_BATCH]
        known = set(db.session.scalars(select(Attachment.stored_name).where(Attachment.stored_name.in_(batch))))
        known |= set(db.session.scalars(select(Attachment.original_stored_name).where(
            Attachment.original_stored_name.in_(batch))))
        report.referenced += len(known)
        for name in batch:
            if name not in known:
                old[name].unlink(missing_ok=True)
                report.removed += 1
    if report.removed:
        log.info("removed %s orphaned uploads", report.removed)
    return report


def stored_files() -> Iterator[Path]:
    """Every file laid out as we store them (UPLOAD_DIR/ab/ab....ext); anything else is not ours to remove."""
    configured = current_app.config.get("UPLOAD_DIR")
    root = Path(configured) if configured else None
    if root is None or not root.is_dir():
        return
    for folder in root.iterdir():
        if not folder.is_dir() or folder.is_symlink():
            continue
        for path in folder.iterdir():
            if _STORED_NAME.fullmatch(path.name) and path.name[:2] == folder.name and path.is_file() \
                    and not path.is_symlink():
                yield path


# ---------------------------------------------------------------- downloading

def send_attachment(attachment: Attachment) -> Response:
    """A download response for staff. The caller must already have checked the user may see the case.

    Always `Content-Disposition: attachment`, never inline, with nosniff and a sandboxing CSP, so that
    a crafted PDF or image can never run in the application's origin.
    """
    try:  # opened here, not checked then opened: a file removed in between (an erasure) is not found either way
        handle = attachment_path(attachment).open("rb")
    except (FileNotFoundError, IsADirectoryError):
        raise NotFoundError("This file is not available.") from None
    extension = EXTENSIONS.get(attachment.content_type, "bin")
    stem = clean_filename(attachment.original_name).rsplit(".", 1)[0] or "file"
    response = send_file(
        handle,
        mimetype=attachment.content_type if attachment.content_type in EXTENSIONS else "application/octet-stream",
        as_attachment=True,
        download_name=f"{stem}.{extension}",
        max_age=0,
        conditional=False,
    )
    response.content_length = os.fstat(handle.fileno()).st_size  # what send_file gives a path, not an open file
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "no-store"
    return response
