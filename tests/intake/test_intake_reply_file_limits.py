"""Files sent from the follow-up page are decoded and re-encoded in the same few preparation slots as a report's:
they count against the same limit of files per client, or anyone with a receipt code (their own, from a report of
a few words) could send twice the files the limit allows, and keep every citizen's photos waiting."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civicwatch.cases.models import Attachment
from civicwatch.extensions import db
from tests.factories import jpeg_with_gps, post_multipart
from tests.intake.conftest import case_page_token, open_case, post_report, report_and_read_receipt


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True, "REPORT_RATE_LIMIT": "5 per minute", "TRACK_RATE_LIMIT": "20 per minute",
            "REPORT_FILES_RATE_LIMIT": "10 per minute"}


def photos(batch: int) -> list[tuple[bytes, str]]:
    return [(jpeg_with_gps(size=(40 + batch, 30 + i)), f"photo{batch}-{i}.jpg") for i in range(5)]


def reply(client, batch: int):
    return post_multipart(client, "/track/case/reply",
                          {"csrf_token": case_page_token(client), "text": f"More photos, batch {batch}."},
                          photos(batch))


def stored_files() -> int:
    return db.session.scalar(select(func.count()).select_from(Attachment))


def test_files_sent_from_the_follow_up_page_use_up_the_limit_of_files(client):
    reported = report_and_read_receipt(client)
    open_case(client, reported.code)
    assert [reply(client, batch).status_code for batch in range(3)] == [303, 303, 429]
    assert stored_files() == 10
    text_only = post_multipart(client, "/track/case/reply",
                               {"csrf_token": case_page_token(client), "text": "Only words this time."})
    assert text_only.status_code == 303  # a message without files is not held back


def test_the_report_form_and_the_follow_up_page_share_one_limit_of_files(client):
    reported = report_and_read_receipt(client)
    open_case(client, reported.code)
    assert [reply(client, batch).status_code for batch in range(2)] == [303, 303]
    assert post_report(client, files=photos(9)[:1]).status_code == 429
    assert stored_files() == 10
