"""Staff work on a case while the retention run erases it: the case was read before the erasure, the write (a note,
a disclosure request, the audit entry of a download) comes after it. Nothing written on the case may outlive its erasure (no run erases a
case twice): the staff member is told the case changed, and given back what they typed. A file erased meanwhile is
not found, as any file gone, rather than an error of the server."""
from __future__ import annotations

from html import unescape

from sqlalchemy import func, select

from civicwatch.cases.models import Case, CaseMessage
from civicwatch.disclosure.models import DisclosureRequest
from civicwatch.extensions import db
from tests.conftest import csrf_token_from
from tests.factories import staff_client
from tests.retention.conftest import REASON, due_for_erasure, erased_meanwhile

NOTE = "Called Mr Quartermaine's sister on 076 222 333: she saw the sergeant take him to the back room."


def test_a_note_added_while_the_case_is_erased_is_not_kept(app, clock, staff):
    case = due_for_erasure(staff, clock)
    case_id = case.id
    browser = staff_client(app, staff.investigator)
    page = browser.get(f"/staff/cases/{case_id}").get_data(as_text=True)
    version = db.session.get_one(Case, case_id).version
    with erased_meanwhile(app):
        response = browser.post(f"/staff/cases/{case_id}/notes", data={
            "note-csrf_token": csrf_token_from(page), "note-version": str(version), "note-text": NOTE})

    db.session.expire_all()
    assert db.session.get_one(Case, case_id).erased
    assert db.session.scalar(select(func.count()).select_from(CaseMessage).where(CaseMessage.case_id == case_id)) == 0
    assert response.status_code == 409
    assert NOTE in unescape(response.get_data(as_text=True)), "the note typed in is lost"


def test_a_file_downloaded_while_the_case_is_erased_is_a_clear_not_found(app, clock, staff):
    case = due_for_erasure(staff, clock)
    case_id, attachment_id = case.id, case.attachments[0].id
    browser = staff_client(app, staff.investigator)
    with erased_meanwhile(app):
        response = browser.get(f"/staff/cases/{case_id}/attachments/{attachment_id}")

    assert response.status_code == 404
    assert "There is no such file on this case." in response.get_data(as_text=True)


def test_a_disclosure_request_made_while_the_case_is_erased_is_not_kept(app, clock, staff):
    case = due_for_erasure(staff, clock)
    case_id = case.id
    browser = staff_client(app, staff.admin)
    page = browser.get(f"/staff/cases/{case_id}/identity").get_data(as_text=True)
    with erased_meanwhile(app):
        response = browser.post(f"/staff/cases/{case_id}/identity/requests", data={
            "csrf_token": csrf_token_from(page), "scope": "within_body", "reason": REASON})

    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(DisclosureRequest).where(
        DisclosureRequest.requester_id == staff.admin.id)) == 0
    assert response.status_code == 400
    assert "personal content was erased" in unescape(response.get_data(as_text=True))


def test_a_request_for_a_files_original_made_while_the_case_is_erased_is_refused(app, clock, staff):
    case = due_for_erasure(staff, clock)
    case_id, attachment_id = case.id, case.attachments[0].id
    browser = staff_client(app, staff.admin)
    path = f"/staff/cases/{case_id}/attachments/{attachment_id}/original"
    page = browser.get(path).get_data(as_text=True)
    with erased_meanwhile(app):
        response = browser.post(f"{path}/requests", data={"csrf_token": csrf_token_from(page), "reason": REASON})

    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(DisclosureRequest).where(
        DisclosureRequest.requester_id == staff.admin.id)) == 0
    assert response.status_code == 400
    assert "personal content of this case was erased" in unescape(response.get_data(as_text=True))
