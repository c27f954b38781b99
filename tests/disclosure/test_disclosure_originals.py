"""Sealed originals: a file's original opens only for the holder of a running, approved grant for that very
file, from the same four-eyes workflow as the identity vault; the download is checked against the hash taken on
receipt and audited."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from civicwatch.audit.models import AuditEntry
from civicwatch.cases.attachments import IncomingFile, prepare_upload, save_attachment, stored_path
from civicwatch.cases.models import Attachment, Case, CaseStatus
from civicwatch.crypto import encrypt_bytes_with
from civicwatch.disclosure.models import DisclosureRequest, DisclosureScope
from civicwatch.disclosure.operations import (
    approve_disclosure,
    refuse_disclosure,
    request_disclosure,
    request_original,
)
from civicwatch.extensions import db
from civicwatch.routing.operations import route_case
from civicwatch.taxonomy.models import Body
from tests.conftest import csrf_token
from tests.disclosure.conftest import EMAIL, PHONE, PHONE_DIGITS, REASON
from tests.factories import create_case, jpeg_with_gps, staff_client

STATES = ("none", "pending", "approved", "expired", "refused")
ASKING = ("admin", "triage", "investigator")
EVERYONE = ASKING + ("other_investigator", "auditor", "custodian")


def add_files(case: Case, count: int, keep: bool = True) -> list[tuple[Attachment, bytes]]:
    files = []
    for number in range(count):
        original = jpeg_with_gps(comment=f"original number {number}".encode())
        attachment = save_attachment(case, prepare_upload(IncomingFile(f"photo{number}.jpg", original), keep))
        files.append((attachment, original))
    db.session.commit()
    return files


def granted_to_the_investigator(staff, case: Case, what: str) -> tuple[DisclosureRequest, Attachment, bytes]:
    """A file added to the case, and an 8-hour grant of its original ("original") or of the case's identity
    ("identity") to the investigator: the grant, the file and the file's original bytes."""
    [(item, original)] = add_files(case, 1)
    request = (request_original(item, staff.investigator, REASON) if what == "original"
               else request_disclosure(case, staff.investigator, DisclosureScope.WITHIN_BODY, REASON))
    approve_disclosure(request, staff.custodian, hours=8)
    db.session.commit()
    return request, item, original


def assert_nothing_revealed(browser, case: Case, item: Attachment, original: bytes, what: str) -> None:
    """`browser` gets neither the file's original (a 403) nor the case's identity (the page keeps it masked)."""
    if what == "original":
        response = browser.get(original_url(item))
        assert response.status_code == 403 and original not in response.get_data()
    else:
        page = browser.get(f"/staff/cases/{case.id}/identity").get_data(as_text=True)
        assert PHONE_DIGITS[-4:] not in page.replace(" ", "") and EMAIL not in page


@pytest.fixture
def sealed_case(app, clock) -> Case:
    return create_case(CaseStatus.INVESTIGATING, contact={"phone": PHONE, "email": EMAIL})


def original_url(item: Attachment, suffix: str = "/download") -> str:
    return f"/staff/cases/{item.case_id}/attachments/{item.id}/original{suffix}"


def test_originals_open_only_under_a_running_grant_for_that_file(app, staff, sealed_case, clock):
    files = dict(zip(STATES, add_files(sealed_case, len(STATES)), strict=True))
    for name in ASKING:
        user = getattr(staff, name)
        # A running identity grant opens no file; a grant for one file opens no other.
        approve_disclosure(request_disclosure(sealed_case, user, DisclosureScope.WITHIN_BODY, REASON),
                           staff.custodian, hours=8)
        for state, (item, _original) in files.items():
            if state == "none":
                continue
            request = request_original(item, user, REASON)
            if state == "refused":
                refuse_disclosure(request, staff.custodian, "The cleaned copy is enough for this step.")
            elif state in ("approved", "expired"):
                approve_disclosure(request, staff.second_custodian, hours=1 if state == "expired" else 4)
    db.session.commit()
    clock.advance(hours=2)
    for name in EVERYONE:
        browser = staff_client(app, getattr(staff, name))
        for state, (item, original) in files.items():
            response = browser.get(original_url(item))
            allowed = name in ASKING and state == "approved"
            assert (response.status_code == 200) is allowed, (name, state, response.status_code)
            assert (response.get_data() == original) is allowed, (name, state)
            if not allowed:
                assert response.status_code in (403, 404), (name, state, response.status_code)
    views = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "attachment.original_view")))
    assert len(views) == len(ASKING)
    assert {entry.after["attachment"] for entry in views} == {files["approved"][0].id}


def test_the_whole_workflow_over_http_four_eyes_and_expiry(app, staff, sealed_case, clock):
    [(item, original)] = add_files(sealed_case, 1)
    investigator = staff_client(app, staff.investigator)
    page = investigator.get(original_url(item, "")).get_data(as_text=True)
    assert hashlib.sha256(original).hexdigest() in page and "Download the original" not in page
    response = investigator.post(original_url(item, "/requests"), data={
        "csrf_token": csrf_token(investigator, original_url(item, "")), "reason": REASON})
    assert response.status_code == 302
    request = db.session.scalar(select(DisclosureRequest))
    assert request.attachment_id == item.id
    assert investigator.get(original_url(item)).status_code == 403  # pending

    asker = staff_client(app, staff.second_custodian)  # a custodian cannot decide their own request
    response = asker.post(original_url(item, "/requests"), data={
        "csrf_token": csrf_token(asker, original_url(item, "")), "reason": REASON})
    own = db.session.scalar(select(DisclosureRequest).where(DisclosureRequest.requester_id == staff.second_custodian.id))
    response = asker.post(f"/staff/disclosures/{own.id}/approve", data={
        "csrf_token": csrf_token(asker, "/staff/disclosures"), "hours": "4"})
    assert response.status_code == 403

    custodian = staff_client(app, staff.custodian)
    queue = custodian.get("/staff/disclosures").get_data(as_text=True)
    assert "The sealed original of “photo0.jpg”" in queue
    response = custodian.post(f"/staff/disclosures/{request.id}/approve", data={
        "csrf_token": csrf_token(custodian, "/staff/disclosures"), "hours": "2"})
    assert response.status_code == 302
    download = investigator.get(original_url(item))
    assert download.status_code == 200 and download.get_data() == original
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["Digest"] == f"sha-256={hashlib.sha256(original).hexdigest()}"
    clock.advance(hours=2, seconds=1)
    assert staff_client(app, staff.investigator).get(original_url(item)).status_code == 403


@pytest.mark.parametrize("damage", ["hash", "key"])
def test_an_original_that_does_not_match_its_hash_is_not_given_out(app, staff, sealed_case, clock, damage):
    [(item, original)] = add_files(sealed_case, 1)
    approve_disclosure(request_original(item, staff.investigator, REASON), staff.custodian, hours=4)
    if damage == "hash":
        item.original_sha256 = hashlib.sha256(b"another file").hexdigest()
    else:  # a file put in its place, encrypted under another key
        stored_path(item.original_stored_name).write_bytes(
            encrypt_bytes_with("CIVICWATCH_IDENTITY_KEY", original))
    db.session.commit()
    response = staff_client(app, staff.investigator).get(original_url(item))
    assert response.status_code == 409 and original not in response.get_data()


def test_no_grant_can_be_asked_for_an_original_that_was_not_kept(app, staff, sealed_case, clock):
    [(item, _original)] = add_files(sealed_case, 1, keep=False)
    browser = staff_client(app, staff.investigator)
    assert "only the cleaned copy exists" in browser.get(original_url(item, "")).get_data(as_text=True)
    response = browser.post(original_url(item, "/requests"), data={
        "csrf_token": csrf_token(browser, original_url(item, "")), "reason": REASON})
    assert response.status_code == 400
    assert db.session.scalar(select(DisclosureRequest)) is None
    assert browser.get(original_url(item)).status_code == 403


@pytest.mark.parametrize("what", ["original", "identity"])
def test_a_grant_does_not_follow_its_holder_into_the_auditor_role(app, staff, sealed_case, clock, what):
    """An investigator given a grant, then made an auditor (who may never ask for one): the grant's hours are not
    over, the auditor's role opens every case, and yet the grant no longer opens anything."""
    request, item, original = granted_to_the_investigator(staff, sealed_case, what)
    admin = staff_client(app, staff.admin)
    role_page = f"/staff/users/{staff.investigator.id}/role"
    response = admin.post(role_page, data={"csrf_token": csrf_token(admin, role_page), "role": "auditor", "body": ""})
    assert response.status_code == 302
    former_investigator = staff_client(app, staff.investigator)
    if what == "original":
        response = former_investigator.get(original_url(item))
        assert response.status_code == 403 and original not in response.get_data()
        page = former_investigator.get(original_url(item, "")).get_data(as_text=True)
        assert "Download the original" not in page
    else:
        page = former_investigator.get(f"/staff/cases/{sealed_case.id}/identity").get_data(as_text=True)
        assert PHONE_DIGITS[-4:] not in page.replace(" ", "") and EMAIL not in page
    views = select(AuditEntry).where(AuditEntry.action.in_(("attachment.original_view", "identity.view")))
    assert db.session.scalars(views).all() == []


@pytest.mark.parametrize("what", ["original", "identity"])
def test_a_grant_does_not_follow_its_holder_to_another_body_when_the_case_follows_later(
        app, staff, sealed_case, clock, what):
    """An investigator of the police oversight body is granted a look; an admin moves them to the human rights
    commission, and the case is later sent there too. They may open the case again, and the grant's hours are not
    over, but it was asked for and decided in their old post: it opens nothing."""
    request, item, original = granted_to_the_investigator(staff, sealed_case, what)
    _move_investigator_and_send_the_case_after_them(app, staff, sealed_case)
    moved = staff_client(app, staff.investigator)
    assert moved.get(f"/staff/cases/{sealed_case.id}").status_code == 200
    assert_nothing_revealed(moved, sealed_case, item, original, what)
    if what == "original":
        assert "Download the original" not in moved.get(original_url(item, "")).get_data(as_text=True)
    views = select(AuditEntry).where(AuditEntry.action.in_(("attachment.original_view", "identity.view")))
    assert db.session.scalars(views).all() == []


def test_a_grant_asked_for_in_the_new_post_opens_the_file(app, staff, sealed_case, clock):
    """The other side of the rule above: once moved, the investigator asks again from their new post, and the new
    grant opens the original."""
    [(item, original)] = add_files(sealed_case, 1)
    _move_investigator_and_send_the_case_after_them(app, staff, sealed_case)
    clock.advance(minutes=5)
    approve_disclosure(request_original(item, staff.investigator, REASON), staff.custodian, hours=8)
    db.session.commit()
    response = staff_client(app, staff.investigator).get(original_url(item))
    assert response.status_code == 200 and response.get_data() == original


def _move_investigator_and_send_the_case_after_them(app, staff, case: Case) -> None:
    admin = staff_client(app, staff.admin)
    role_page = f"/staff/users/{staff.investigator.id}/role"
    response = admin.post(role_page, data={"csrf_token": csrf_token(admin, role_page), "role": "investigator",
                                           "body": "human_rights_commission"})
    assert response.status_code == 302
    route_case(case, staff.triage, db.session.scalar(select(Body).filter_by(code="human_rights_commission")),
               "The allegation is one for the human rights commission.")
    db.session.commit()
