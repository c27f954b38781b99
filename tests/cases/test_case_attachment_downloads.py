"""Downloading a case's file as staff: whatever name the sender gave it, the browser saves it under that name with
the extension of what it really is, never splits the header on a quote or semicolon in it; every download, HEAD
included, is an audit entry; a Range header gets the whole file, never a part or a multipart answer."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.http import parse_options_header

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.cases.attachments import IncomingFile, prepare_upload, save_attachment
from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from tests.factories import png_bytes


def saved_name(disposition: str) -> str:
    """The file name a browser takes from the header (RFC 6266: filename* wins over filename)."""
    return parse_options_header(disposition)[1]["filename"]


@pytest.mark.parametrize("name,saved", [
    ('a"b.png', 'a"b.png'),
    ('x"; filename=evil.html', 'x"; filename=evil.png'),
    ("a;b=c.png", "a;b=c.png"),
    ("témoin Kɔnɔ.png", "témoin Kɔnɔ.png"),
    ("＂quote＂.html", "＂quote＂.png"),
])
def test_a_hostile_name_is_saved_as_given_with_the_true_extension(make_case, make_user, signed_in, name, saved):
    case = make_case(CaseStatus.INVESTIGATING)
    item = save_attachment(case, prepare_upload(IncomingFile(name, png_bytes())))
    db.session.commit()
    with signed_in(make_user(Role.TRIAGE)).get(f"/staff/cases/{case.id}/attachments/{item.id}") as response:
        assert response.status_code == 200
        disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert saved_name(disposition) == saved
    assert disposition.encode("latin-1").isascii()


def test_every_download_is_audited_and_a_range_gets_the_whole_file(make_case, make_user, signed_in):
    case = make_case(CaseStatus.INVESTIGATING)
    item = save_attachment(case, prepare_upload(IncomingFile("photo.png", png_bytes())))
    db.session.commit()
    triage = make_user(Role.TRIAGE)
    browser, url = signed_in(triage), f"/staff/cases/{case.id}/attachments/{item.id}"
    for ranges in ("bytes=0-10", "bytes=0-1,3-4,6-7", "bytes=-1", f"bytes=0-{'9' * 400}", "bytes=99999-"):
        with browser.get(url, headers={"Range": ranges}) as response:
            assert response.status_code == 200 and "Content-Range" not in response.headers
            assert len(response.get_data()) == item.size
    with browser.head(url) as response:
        assert response.status_code == 200 and response.get_data() == b""
        assert response.headers["Cache-Control"] == "no-store"
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "attachment.view")).all()
    assert len(entries) == 6
    assert {(e.user_id, e.case_id, e.object_type, e.object_id) for e in entries} == {
        (triage.id, case.id, "attachments", str(item.id))}
