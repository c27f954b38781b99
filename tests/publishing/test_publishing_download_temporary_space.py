"""The server's temporary folder is full or unwritable while a large open data file is written there (over the
size kept in memory, see open_data.download): the file cannot be written whole, so it must not be sent at all. The
client gets a 503 with Retry-After and plain words (JSON for a .json file, for the scripts that fetch them), never
a 500 and never part of the file under a 200; the operator reads which folder failed and why, and nothing of the
file. Once the folder works again the same download is whole.

The folder is made unusable as tests/intake/test_intake_temporary_space.py makes it so: a file stands where it
should be (tests run as root, so a read-only mode would not stop them), and `tempfile` is pointed inside it, as
TMPDIR would."""
from __future__ import annotations

import json
import logging
import tempfile

import pytest

from civicwatch.errors import RETRY_AFTER_SECONDS

FILES = ("/published/answers.csv", "/published/answers.json", "/transparency/statistics.csv?period=all",
         "/transparency/statistics.json?period=all")


@pytest.mark.parametrize("path", FILES)
def test_a_full_temporary_folder_gives_a_503_to_try_again_not_a_500_or_a_cut_file(app, client, monkeypatch, tmp_path,
                                                                                   caplog, two_published, path):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: an error becomes a response
    app.config["DOWNLOAD_IN_MEMORY_BYTES"] = 100  # every file here is "large": written to the temporary folder
    (tmp_path / "tmp").write_text("not a folder\n")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp" / "spool"))

    with caplog.at_level(logging.INFO):
        response = client.get(path)
    body = response.get_data(as_text=True)
    assert (response.status_code, response.headers.get("Retry-After")) == (503, str(RETRY_AFTER_SECONDS)), body[:300]
    assert "attachment" not in response.headers.get("Content-Disposition", "")
    if ".json" in path:
        error = json.loads(body)["error"]
        assert error["status"] == 503 and "try again in a few minutes" in error["message"]
    else:
        assert "try again in a few minutes" in body
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert str(tmp_path / "tmp" / "spool") in logged and "Not a directory" in logged
    assert not any(reference in logged for reference in two_published)

    monkeypatch.undo()  # the folder works again: the same download is whole
    again = client.get(path)
    assert again.status_code == 200 and "attachment" in again.headers["Content-Disposition"]
    assert again.get_data(as_text=True).splitlines()[0][:40] not in body  # no part of the file was sent
    if path.startswith("/published/"):
        assert all(reference in again.get_data(as_text=True) for reference in two_published)
