"""When the upload disk fails (full, read-only, not there) or the commit does: no personal file is left
behind, nothing half-stored, and the citizen gets what they typed back with a plain 503, never a 500.

The disk is simulated at the operating system's boundary (`os.write`, `os.open`) or by putting a file where
the upload folder should be: tests run as root, so a read-only mode would not stop them.
"""
from __future__ import annotations

import errno
import os
import time
from pathlib import Path

from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from civicwatch.cases.attachments import upload_slots
from civicwatch.cases.models import Attachment, Case, CaseMessage
from civicwatch.extensions import db
from tests.conftest import csrf_token
from tests.factories import jpeg_with_gps, post_multipart
from tests.intake.conftest import WHAT_HAPPENED, case_page_token, open_case, post_report

FIVE_PHOTOS = [(jpeg_with_gps(size=(300 + 10 * i, 200)), f"photo{i}.jpg") for i in range(5)]
NOTHING_SENT = "Nothing was sent: we could not store your files just now."


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


class FillingDisk:
    """`os.write` for files under the upload folder: the first `full_files` files are written whole, the next
    gets half of its first write and then ENOSPC, as when a disk fills up. Other writes are untouched."""

    def __init__(self, folder: Path, full_files: int) -> None:
        self.folder, self.full_files = str(folder), full_files
        self.files: list[str] = []
        self.real_write = os.write

    def __call__(self, descriptor: int, data) -> int:
        path = os.readlink(f"/proc/self/fd/{descriptor}")
        if not path.startswith(self.folder):
            return self.real_write(descriptor, data)
        if path not in self.files:
            self.files.append(path)
            if len(self.files) == self.full_files + 1:
                return self.real_write(descriptor, bytes(data[:len(data) // 2]))
        if len(self.files) > self.full_files:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self.real_write(descriptor, data)


def test_disk_full_on_the_third_of_five_photos_leaves_no_file_and_keeps_the_report(client, app, monkeypatch):
    uploads = Path(app.config["UPLOAD_DIR"])
    disk = FillingDisk(uploads, full_files=2)
    monkeypatch.setattr(os, "write", disk)

    response = post_report(client, files=FIVE_PHOTOS, location_text="Bo market")
    html = response.get_data(as_text=True)

    assert len(disk.files) == 3  # two photos were written whole, the third half: then the disk was full
    assert response.status_code == 503
    assert NOTHING_SENT in html and "send it without the files" in html
    assert WHAT_HAPPENED.split(",")[0] in html and 'value="Bo market"' in html
    assert count(Case) == 0 and count(Attachment) == 0
    assert files_under(uploads) == []

    monkeypatch.undo()  # the disk has room again: the same report goes through
    assert post_report(client, files=FIVE_PHOTOS).status_code == 303
    assert count(Case) == 1 and len(files_under(uploads)) == 5


def test_upload_path_taken_by_a_file_gives_a_503_with_the_report_kept(client, app):
    uploads = Path(app.config["UPLOAD_DIR"])
    uploads.rmdir()
    uploads.write_text("a file where the upload folder should be")
    response = post_report(client, files=FIVE_PHOTOS[:1], location_text="Bo market")
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert NOTHING_SENT in html and WHAT_HAPPENED.split(",")[0] in html and 'value="Bo market"' in html
    assert count(Case) == 0 and count(Attachment) == 0


def test_read_only_disk_gives_a_503_and_a_report_without_files_still_goes_through(client, app, monkeypatch):
    uploads = str(app.config["UPLOAD_DIR"])
    real_open = os.open

    def read_only(path, flags, *args, **kwargs):
        if str(path).startswith(uploads) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    response = post_report(client, files=FIVE_PHOTOS[:2])
    assert response.status_code == 503 and NOTHING_SENT in response.get_data(as_text=True)
    assert count(Case) == 0 and files_under(Path(uploads)) == []

    assert post_report(client).status_code == 303  # "or send it without the files"
    assert count(Case) == 1


def test_disk_full_while_adding_photos_to_a_case_keeps_the_message(client, app, reported, monkeypatch):
    uploads = Path(app.config["UPLOAD_DIR"])
    open_case(client, reported.code)
    token = case_page_token(client)
    monkeypatch.setattr(os, "write", FillingDisk(uploads, full_files=1))

    response = post_multipart(client, "/track/case/reply", {"csrf_token": token, "text": "Two more photos."},
                              FIVE_PHOTOS[:2])
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert NOTHING_SENT in html and "Two more photos.</textarea>" in html
    assert count(CaseMessage) == 0 and count(Attachment) == 0 and files_under(uploads) == []


def test_files_are_removed_when_the_commit_fails(client, app):
    """The photos are on disk, then the database refuses the commit: the photos go with the transaction."""
    uploads = Path(app.config["UPLOAD_DIR"])
    written: list[int] = []

    def database_fails(session: Session) -> None:
        if session.in_nested_transaction():  # a savepoint's release is not the commit
            return
        written.append(len(files_under(uploads)))
        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    token = csrf_token(client, "/report")
    event.listen(Session, "before_commit", database_fails)
    try:
        response = post_report(client, files=FIVE_PHOTOS[:3], token=token)
    finally:
        event.remove(Session, "before_commit", database_fails)
    assert written == [3]  # the files were there when the commit was attempted
    # The database's failure: the citizen is asked to send again in a moment, with what was typed kept.
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert WHAT_HAPPENED in response.get_data(as_text=True)
    assert count(Case) == 0 and files_under(uploads) == []


def test_a_busy_process_asks_to_try_again_instead_of_decoding_more_photos_at_once(client, app):
    app.config["UPLOAD_WAIT_SECONDS"] = 0
    slots = upload_slots()
    assert slots.acquire(timeout=1)  # another upload is being decoded (UPLOAD_CONCURRENCY is 1)
    try:
        busy = post_report(client, files=FIVE_PHOTOS[:1], location_text="Bo market")
    finally:
        slots.release()
    html = busy.get_data(as_text=True)
    assert busy.status_code == 503
    assert "many files are being sent right now" in html and 'value="Bo market"' in html
    assert WHAT_HAPPENED.split(",")[0] in html and count(Case) == 0

    assert post_report(client, files=FIVE_PHOTOS[:1]).status_code == 303


def test_files_are_never_readable_by_other_users(client, app):
    assert post_report(client, files=FIVE_PHOTOS[:2]).status_code == 303
    uploads = Path(app.config["UPLOAD_DIR"])
    paths = [uploads, *uploads.rglob("*")]
    assert len(files_under(uploads)) == 2
    for path in paths:
        assert os.stat(path).st_mode & 0o077 == 0, path


# ---------------------------------------------------------------- orphans: files with no attachment row

def place_orphan(app, name: str, age_seconds: float) -> Path:
    path = Path(app.config["UPLOAD_DIR"]) / name[:2] / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xd8\xff half a photo")
    when = time.time() - age_seconds
    os.utime(path, (when, when))
    return path


def age(path: Path, clock, seconds: float) -> None:
    when = clock.now.timestamp() - seconds
    os.utime(path, (when, when))


def test_sweep_removes_old_orphans_only(client, app, clock):
    assert post_report(client, files=FIVE_PHOTOS[:1]).status_code == 303
    [attached] = files_under(Path(app.config["UPLOAD_DIR"]))
    old_orphan = place_orphan(app, "ab" + "0" * 30 + ".jpg", 0)
    young_orphan = place_orphan(app, "cd" + "1" * 30 + ".pdf", 0)
    not_ours = place_orphan(app, "README", 0)
    for path, seconds in ((attached, 7200), (old_orphan, 7200), (young_orphan, 600), (not_ours, 7200)):
        age(path, clock, seconds)

    result = app.test_cli_runner().invoke(args=["civicwatch", "uploads", "sweep"])

    assert result.exit_code == 0, result.output
    assert "Removed 1 orphaned files" in result.output
    assert not old_orphan.exists()
    assert attached.exists() and young_orphan.exists() and not_ours.exists()


def test_the_delivery_worker_sweeps_when_it_starts(app, clock):
    orphan = place_orphan(app, "ef" + "2" * 30 + ".png", 0)
    age(orphan, clock, 3 * 3600)
    result = app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--once"])
    assert result.exit_code == 0, result.output
    assert "Removed 1 orphaned upload files." in result.output
    assert not orphan.exists()
