"""Failures of the database at the commit of what a citizen sends, seen from the citizen's side and from the
staff member who later opens the case.

The commit is made to fail in SQLAlchemy's engine layer (the dialect's do_commit), with the driver's own error,
as when the server is restarted or the connection drops: either before the COMMIT reaches the database, or after
it was applied and only its answer was lost."""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Attachment, Case, CaseMessage
from civicwatch.extensions import db
from tests.conftest import csrf_token
from tests.factories import jpeg_with_gps, post_multipart, staff_client
from tests.intake.conftest import RECEIPT_RE, case_page_token, open_case, post_report, report_and_read_receipt
from tests.intake.test_intake_outages import fields_of

PHOTO = (jpeg_with_gps(size=(300, 200)), "checkpoint.jpg")
FORM_KEY_RE = re.compile(r'name="form_key"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="form_key"')


@contextmanager
def commit_fails(app: Flask, applied: bool) -> Iterator[list[bool]]:
    """The next COMMITs fail with the driver's OperationalError; with `applied` the database has committed
    the transaction and only the answer is lost."""
    with app.app_context():
        dialect = db.engine.dialect
    real_commit = dialect.do_commit
    failed: list[bool] = []

    def failing_commit(dbapi_connection) -> None:
        if applied:
            real_commit(dbapi_connection)
        failed.append(True)
        raise dialect.loaded_dbapi.OperationalError("server closed the connection unexpectedly")

    dialect.do_commit = failing_commit  # type: ignore[method-assign]
    try:
        yield failed
    finally:
        del dialect.do_commit


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def stored_files(app: Flask) -> list[Path]:
    return [path for path in Path(app.config["UPLOAD_DIR"]).rglob("*") if path.is_file()]


FOLLOW_UP = "The officer came back to my shop yesterday and asked again for the money, in front of my children."


def on_the_follow_up_page(client, app: Flask) -> tuple[Any, str]:
    """A citizen who reported, on their case's follow-up page: the receipt, and the page's CSRF token. Errors
    become responses, as in production."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    reported = report_and_read_receipt(client)
    open_case(client, reported.code)
    return reported, case_page_token(client)


def test_the_photo_of_a_report_whose_commit_answer_was_lost_is_kept_with_its_row(client, app, make_user):
    """The COMMIT reached the database but its answer was lost: the citizen sees the 503 page and sends again
    with the same form key, getting the receipt of the case that was stored. That case's photo row must still
    have its photo: staff cannot ask an anonymous citizen for it again."""
    page = client.get("/report").get_data(as_text=True)
    form_key = FORM_KEY_RE.search(page)
    token = csrf_token(client, "/report")
    with commit_fails(app, applied=True) as failed:
        response = post_report(client, files=[PHOTO], token=token,
                               form_key=form_key.group(1) or form_key.group(2))
    assert failed and response.status_code == 503
    again = post_multipart(client, "/report", fields_of(response.get_data(as_text=True)))
    assert again.status_code == 303
    assert RECEIPT_RE.search(client.get("/report/received").get_data(as_text=True))
    assert count(Case) == 1 and count(Attachment) == 1

    [attachment] = db.session.scalars(select(Attachment)).all()
    staff = staff_client(app, make_user(Role.ADMIN))
    download = staff.get(f"/staff/cases/{attachment.case_id}/attachments/{attachment.id}")
    download.close()
    assert download.status_code == 200, download.get_data(as_text=True)[-400:]  # not "This file is not available."
    assert len(stored_files(app)) == 1


def test_a_follow_up_message_the_database_refused_comes_back_with_what_was_written(client, app):
    """The commit of a follow-up message fails: nothing is stored, and the citizen gets a 503 that keeps the
    message they wrote (as a refused photo or an expired session does), not a page that drops it."""
    _, token = on_the_follow_up_page(client, app)
    written = FOLLOW_UP
    with commit_fails(app, applied=False) as failed:
        response = post_multipart(client, "/track/case/reply", {"csrf_token": token, "text": written})
    html = response.get_data(as_text=True)
    assert failed and response.status_code == 503 and response.headers["Retry-After"]
    assert count(CaseMessage) == 0
    assert f"{written}</textarea>" in html


def test_a_follow_up_message_sent_again_after_its_answer_was_lost_is_stored_once(client, app, clock):
    """The COMMIT of a follow-up message reached the database and only its answer was lost: the citizen, told to
    send again, does so from the 503 page. The message (and its photo) is stored once. The same words sent again
    later, or with other files, are a new message."""
    reported, token = on_the_follow_up_page(client, app)
    written = FOLLOW_UP
    with commit_fails(app, applied=True) as failed:
        response = post_multipart(client, "/track/case/reply", {"csrf_token": token, "text": written},
                                  files=[PHOTO])
    html = response.get_data(as_text=True)
    assert failed and response.status_code == 503
    assert "it will not be counted twice" in " ".join(html.split())
    assert count(CaseMessage) == 1 and count(Attachment) == 1
    again = post_multipart(client, "/track/case/reply", fields_of(html), files=[PHOTO])
    assert again.status_code == 303
    assert count(CaseMessage) == 1 and count(Attachment) == 1
    # Without the photo it is another message, and so is the same text half an hour on.
    assert post_multipart(client, "/track/case/reply", fields_of(html)).status_code == 303
    assert count(CaseMessage) == 2
    clock.advance(minutes=31)
    open_case(client, reported.code)  # the follow-up page closes after a while without use
    assert post_multipart(client, "/track/case/reply",
                          {"csrf_token": case_page_token(client), "text": written}).status_code == 303
    assert count(CaseMessage) == 3
