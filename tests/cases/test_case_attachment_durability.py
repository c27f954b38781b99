"""A stored file survives a power cut once its case is committed: the file's bytes are synced, and so is the
folder entry that names it (without it, the file may be gone after the cut while the committed row names it).
The test watches the system's fsync calls, which it passes on unchanged, and names what each one synced."""
from __future__ import annotations

import os
from pathlib import Path

from civicwatch.cases.attachments import IncomingFile, attachment_path, prepare_upload, save_attachment
from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from tests.factories import png_bytes


def test_a_stored_file_and_the_folders_that_name_it_are_synced(app, make_case, monkeypatch):
    synced: list[Path] = []
    real_fsync = os.fsync

    def watched_fsync(descriptor: int) -> None:
        synced.append(Path(os.readlink(f"/proc/self/fd/{descriptor}")))
        real_fsync(descriptor)

    case = make_case(CaseStatus.INVESTIGATING)
    monkeypatch.setattr(os, "fsync", watched_fsync)
    attachment = save_attachment(case, prepare_upload(IncomingFile("photo.png", png_bytes())))
    db.session.commit()
    path = attachment_path(attachment).resolve()
    assert path in synced
    # The file's folder after the file (its entry), and the upload folder after a new sub-folder's creation.
    assert path.parent in synced[synced.index(path):]
    assert path.parent.parent in synced
