"""SQLite's disk fills (SQLITE_FULL) while a citizen sends a report or a follow-up message, with a photo: the
citizen gets the 503 page with what they wrote, in their language, and no receipt; nothing is half-written (no
case, audit entry, message or file stored); once there is space again the same form goes in, once.

The disk is full for real as SQLite sees it: every connection is held to the pages the database has now (see
tests/reliability/diskfull.py), so the first write that needs a new page fails in the database itself."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import Attachment, Case, CaseMessage
from civicwatch.extensions import db
from tests.conftest import csrf_token_from, on_postgres
from tests.factories import jpeg_with_gps, post_multipart
from tests.intake.conftest import RECEIPT_RE, case_page_token, open_case, post_report, report_and_read_receipt
from tests.intake.test_intake_failure_review import FORM_KEY_RE
from tests.intake.test_intake_outages import fields_of
from tests.reliability.diskfull import disk_full

pytestmark = pytest.mark.skipif(on_postgres(), reason="SQLITE_FULL is SQLite's")

# Long enough to need new pages wherever it is stored.
LONG = "Two officers at the Bo checkpoint took my motorbike and asked for money to give it back. " * 50
PHOTO = (jpeg_with_gps(size=(300, 200)), "checkpoint.jpg")
KEPT = {"en": "Nothing is lost: what you wrote is below", "kri": "Natin nor lus: wetin yu rayt de dong ya"}


def counts() -> tuple[int, ...]:
    db.session.rollback()
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Case, AuditEntry, Attachment, CaseMessage))


def files(app) -> list[Path]:
    folder = Path(app.config["UPLOAD_DIR"])
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


@pytest.mark.parametrize("language", ["en", "kri"])
def test_a_report_refused_by_a_full_disk_is_kept_on_the_page_and_goes_in_once_there_is_space(app, client, language):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client.get(f"/language/{language}")
    form = client.get("/report").get_data(as_text=True)
    key = next(group for group in FORM_KEY_RE.search(form).groups() if group)
    before = counts()
    with disk_full(app):
        refused = post_report(client, token=csrf_token_from(form), text=LONG, files=[PHOTO], form_key=key)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 503 and refused.headers["Retry-After"]
    assert KEPT[language] in html and LONG.strip()[:200] in html
    assert not RECEIPT_RE.search(html) and "/report/received" not in html
    assert counts() == before and files(app) == []  # nothing half-written

    fields = fields_of(html)  # the disk has space again: the citizen presses "Send again", choosing the photo again
    assert fields["form_key"] == key
    again = post_multipart(client, "/report", fields, [PHOTO])
    assert again.status_code == 303
    assert RECEIPT_RE.search(client.get("/report/received").get_data(as_text=True))
    cases, audit, attachments, _ = counts()
    assert (cases, attachments) == (before[0] + 1, before[2] + 1) and audit > before[1]
    assert len(files(app)) == 1
    assert post_multipart(client, "/report", fields, [PHOTO]).status_code == 303  # sent again: still one case
    assert counts()[0] == before[0] + 1


def test_a_follow_up_message_refused_by_a_full_disk_is_kept_and_sent_once_there_is_space(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    reported = report_and_read_receipt(client)
    open_case(client, reported.code)
    token = case_page_token(client)
    before, stored_files = counts(), files(app)
    fields = {"csrf_token": token, "text": LONG[:4900], "case_reference": reported.reference}
    with disk_full(app):
        refused = post_multipart(client, "/track/case/reply", fields, [PHOTO])
    assert refused.status_code == 503 and refused.headers["Retry-After"]
    assert LONG.strip()[:200] in refused.get_data(as_text=True)
    assert counts() == before and files(app) == stored_files

    sent = post_multipart(client, "/track/case/reply", fields, [PHOTO])
    assert sent.status_code == 303
    assert counts()[3] == before[3] + 1 and len(files(app)) == len(stored_files) + 1
