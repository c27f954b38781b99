"""The audit anchor's folder unwritable or full (a read-only instance folder, a full disk): the anchor is appended
after the commit, so its error must not turn a stored report into a 500 without a receipt. Tests run as root, so
the folder is made unwritable the way tests/intake/test_intake_upload_failures.py does: a file stands where it
should be (mkdir then fails with a real OSError)."""
from __future__ import annotations

import logging
import re
import shutil

import pytest
from sqlalchemy import func, select

from civicwatch.audit.anchor import read_anchor
from civicwatch.cases.models import Case
from civicwatch.extensions import db
from tests.conftest import csrf_token
from tests.intake.conftest import post_report


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["AUDIT_ANCHOR_FILE"] = str(tmp_path / "instance" / "audit_anchor.json")
    app_config["PROPAGATE_EXCEPTIONS"] = False  # as in production: an error becomes a response
    return app_config


def test_a_stored_report_is_acknowledged_when_the_audit_anchor_cannot_be_written(client, tmp_path, caplog):
    token = csrf_token(client, "/report")
    shutil.rmtree(tmp_path / "instance", ignore_errors=True)
    (tmp_path / "instance").write_text("not a folder\n")
    with caplog.at_level(logging.ERROR, logger="civicwatch.audit.anchor"):
        response = post_report(client, token=token)
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1
    assert response.status_code == 303
    page = client.get("/report/received").get_data(as_text=True)
    assert re.search(r'id="receipt-code">\d{4} \d{4} \d{4} \d{4}<', page)
    assert "audit anchor could not be written" in caplog.text

    (tmp_path / "instance").unlink()  # the folder comes back: the next commit anchors the tip
    assert post_report(client, token=csrf_token(client, "/report")).status_code == 303
    assert read_anchor() is not None
