"""The database goes away right after a commit succeeded, before the audit anchor has read the committed tip: what
was committed is stored, so the sender must be told so, and the files that went with it must stay on disk.

The anchor reads the chain's tip on a connection of its own after every commit with audit entries (in production
the first one after AUDIT_ANCHOR_INTERVAL_SECONDS). The database is made to fail at that moment with SQLAlchemy's
own events (tests/intake/test_intake_outages.py's DeadDatabase), started by a listener that runs first among the
session's after-commit listeners."""
from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from civicwatch.cases.models import Attachment, Case, CaseMessage
from civicwatch.extensions import db
from tests.conftest import csrf_token
from tests.factories import jpeg_with_gps, post_multipart
from tests.intake.conftest import RECEIPT_RE, case_page_token, open_case, post_report, report_and_read_receipt
from tests.intake.test_intake_outages import database_dies_after_the_first_commit

PHOTO = (jpeg_with_gps(size=(300, 200)), "checkpoint.jpg")


@pytest.fixture
def app_config(app_config):
    app_config["PROPAGATE_EXCEPTIONS"] = False  # as in production: an error becomes a response
    return app_config


def database_gone_right_after_the_commit(app: Flask, how: str):
    return database_dies_after_the_first_commit(app, how, before_other_listeners=True)


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def stored_files(app: Flask) -> list[Path]:
    return [path for path in Path(app.config["UPLOAD_DIR"]).rglob("*") if path.is_file()]


@pytest.mark.parametrize("how", ["refused", "broken"])
def test_a_report_with_a_photo_committed_before_the_database_went_away_gets_its_receipt_and_keeps_the_photo(
        client, app, how):
    token = csrf_token(client, "/report")
    with database_gone_right_after_the_commit(app, how) as dead:
        response = post_report(client, files=[PHOTO], token=token)
        assert dead.dead, "the database was to go away after the commit"
        page = client.get("/report/received")
    assert count(Case) == 1 and count(Attachment) == 1  # the report and its photo's row are stored
    # The citizen is told it was received, with the receipt code, not "your report could not be sent yet".
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    assert page.status_code == 200 and RECEIPT_RE.search(page.get_data(as_text=True))
    # And the stored row has its photo: the file is not removed as if the transaction had rolled back.
    assert len(stored_files(app)) == 1


@pytest.mark.parametrize("how", ["refused", "broken"])
def test_a_follow_up_photo_committed_before_the_database_went_away_is_acknowledged_and_kept(client, app, how):
    reported = report_and_read_receipt(client)
    open_case(client, reported.code)
    token = case_page_token(client)
    with database_gone_right_after_the_commit(app, how) as dead:
        response = post_multipart(client, "/track/case/reply",
                                  {"csrf_token": token, "text": "A photo of the checkpoint."}, [PHOTO])
        assert dead.dead, "the database was to go away after the commit"
    assert count(CaseMessage) == 1 and count(Attachment) == 1  # the message and its photo's row are stored
    # Not a 503 "nothing was saved", which has the citizen send the same message a second time.
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    assert len(stored_files(app)) == 1
