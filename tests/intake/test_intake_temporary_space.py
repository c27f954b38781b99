"""The server's temporary folder is full or gone while a citizen sends a report with a large photo: the form's
files are spooled there before anything reads them (over 500 kB each), so the request cannot even be read. The
citizen must get a clear 503 in the page's language that says nothing was sent and to try again, never the 500
page that says nothing was lost "if you saw a confirmation"; and once the folder works again the report goes in.

The folder is made unusable the way tests/intake/test_intake_upload_failures.py makes the upload folder so: a file
stands where it should be (tests run as root, so a read-only mode would not stop them), and `tempfile` is pointed
inside it, as TMPDIR would."""
from __future__ import annotations

import io
import os
import tempfile

import pytest
from PIL import Image
from sqlalchemy import func, select

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from tests.conftest import csrf_token
from tests.intake.conftest import post_report


def large_photo() -> tuple[bytes, str]:
    """A photo over werkzeug's 500 kB in-memory limit (noise compresses badly)."""
    out = io.BytesIO()
    Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3)).save(out, format="JPEG", quality=95)
    assert out.tell() > 500 * 1024
    return out.getvalue(), "checkpoint.jpg"


NOTHING_SENT = {
    "en": "Nothing was sent: we could not take in your files just now.",
    "fr": "Rien n'a été envoyé : nous n'avons pas pu recevoir vos fichiers pour le moment.",
    "kri": "Natin nor go: wi nor ebul tek yu fayl dem naw.",
}


def cases() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Case))


@pytest.mark.parametrize("language", ["en", "fr", "kri"])
def test_a_full_temporary_folder_gives_a_503_that_says_nothing_was_sent(app, client, monkeypatch, tmp_path,
                                                                         language):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: an error becomes a response
    client.get(f"/language/{language}")
    photo = large_photo()
    token = csrf_token(client, "/report")
    (tmp_path / "tmp").write_text("not a folder\n")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp" / "spool"))

    response = post_report(client, token=token, files=[photo])
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert NOTHING_SENT[language] in html
    assert cases() == 0

    monkeypatch.undo()  # the folder works again: the same form goes in
    assert post_report(client, token=token, files=[photo]).status_code == 303
    assert cases() == 1
