"""A damaged audit anchor file (a line whose entry number no integer holds, as a disk error or a hand edit can
leave) is read after every commit that anchors: a stored report must still get its receipt, never a 500. The
anchor is appended outside the database after the commit, so nothing it meets may undo the answer to a stored
change. The damaged line is passed over, as a line cut short is."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from civicwatch.audit.anchor import read_anchor
from civicwatch.cases.models import Case
from civicwatch.extensions import db
from tests.conftest import csrf_token
from tests.intake.conftest import post_report


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["PROPAGATE_EXCEPTIONS"] = False  # as in production: an error becomes a response
    return app_config


@pytest.mark.parametrize("line", ['{"seq": 1e999, "hash": "00", "db": null}', '{"seq": -1e999, "hash": "00"}'])
def test_a_stored_report_gets_its_receipt_when_the_anchor_file_is_damaged(app, client, line):
    token = csrf_token(client, "/report")
    path = Path(app.config["AUDIT_ANCHOR_FILE"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(line + "\n")
    response = post_report(client, token=token)
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1
    assert response.status_code == 303
    page = client.get("/report/received").get_data(as_text=True)
    assert re.search(r'id="receipt-code">\d{4} \d{4} \d{4} \d{4}<', page)
    assert read_anchor() is not None  # the damaged line passed over, the new tip anchored
