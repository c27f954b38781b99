"""An erased case takes no new personal content: it is never erased again, so whatever staff wrote on it afterwards
(a note, a message, a reason, a draft public answer, a legal hold's reason) would be kept for ever."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import select

from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import Case, CaseMessage, CaseStatus, Recusal
from civicwatch.extensions import db
from civicwatch.publishing.models import Publication, PublicationStatus
from civicwatch.retention.models import LegalHold
from tests.conftest import csrf_token, csrf_token_from
from tests.factories import staff_client
from tests.publishing.test_publishing_workflow import withdraw
from tests.retention.conftest import SECRETS, personal_case, run_cli, schedule

LATER = "Zebulon Quartermaine came back after the erasure: call him on 076 555 123"


def erase(app, clock, case: Case) -> None:
    schedule(CaseStatus.CLOSED, 6)
    clock.now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    code, output = run_cli(app, "retention", "apply")
    assert code == 0 and "1 case" in output, output
    assert db.session.get(Case, case.id).erased


def stored_after_erasure(case_id: int) -> list[str]:
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    texts = [case.text, case.status_reason or "", case.draft_public_response or "", case.findings or ""]
    texts += db.session.scalars(select(CaseMessage.body).where(CaseMessage.case_id == case_id)).all()
    texts += db.session.scalars(select(Recusal.reason).where(Recusal.case_id == case_id)).all()
    texts += db.session.scalars(select(LegalHold.reason).where(LegalHold.case_id == case_id)).all()
    for publication in db.session.scalars(select(Publication).where(Publication.case_id == case_id)):
        texts += [publication.summary_source, publication.response_source, publication.summary, publication.response]
    return [text for text in texts if "Zebulon" in text or "555" in text]


def test_staff_cannot_write_on_an_erased_case(app, clock, staff):
    case = personal_case(staff)
    erase(app, clock, case)
    investigator = staff_client(app, staff.investigator)
    token = csrf_token(investigator, f"/staff/cases/{case.id}")
    version = str(db.session.get(Case, case.id).version)
    for path, prefix in (("notes", "note"), ("messages", "message"), ("draft-response", "draft")):
        response = investigator.post(f"/staff/cases/{case.id}/{path}", data={
            f"{prefix}-csrf_token": token, f"{prefix}-version": version, f"{prefix}-text": LATER})
        assert response.status_code == 409, path
    response = investigator.post(f"/staff/cases/{case.id}/status/reopened", data={
        "to-reopened-csrf_token": token, "to-reopened-version": version, "to-reopened-reason": LATER})
    assert response.status_code == 409
    assert db.session.get(Case, case.id).status is CaseStatus.CLOSED
    response = investigator.post(f"/staff/cases/{case.id}/recuse", data={
        "recuse-csrf_token": token, "recuse-version": version, "recuse-reason": LATER})
    assert response.status_code == 409
    assert stored_after_erasure(case.id) == []


def test_no_public_answer_is_drafted_for_an_erased_case(app, clock, staff):
    case = personal_case(staff)
    erase(app, clock, case)
    investigator = staff_client(app, staff.investigator)
    token = csrf_token(investigator, f"/staff/cases/{case.id}")
    response = investigator.post(f"/staff/publications/case/{case.id}/start", data={"csrf_token": token})
    assert response.status_code == 409
    assert db.session.scalars(select(Publication).where(Publication.case_id == case.id)).all() == []


def test_no_legal_hold_is_placed_on_an_erased_case(app, clock, staff):
    case = personal_case(staff)
    erase(app, clock, case)
    admin = staff_client(app, staff.admin)
    token = csrf_token(admin, f"/staff/cases/{case.id}")
    response = admin.post(f"/staff/cases/{case.id}/legal-hold", data={"hold-csrf_token": token, "hold-reason": LATER})
    assert response.status_code == 409
    assert stored_after_erasure(case.id) == []


def start_public_answer(app, staff, case) -> Publication:
    """The case's investigator begins a draft of its public answer on the page."""
    investigator = staff_client(app, staff.investigator)
    token = csrf_token(investigator, f"/staff/cases/{case.id}")
    assert investigator.post(f"/staff/publications/case/{case.id}/start",
                             data={"csrf_token": token}).status_code == 302
    return db.session.scalars(select(Publication).where(Publication.case_id == case.id)).one()


def test_a_draft_public_answer_begun_before_the_erasure_is_not_written_on_after_it(app, clock, staff):
    case = personal_case(staff)
    publication = start_public_answer(app, staff, case)
    erase(app, clock, case)
    investigator = staff_client(app, staff.investigator)  # signed in again: months went by
    token = csrf_token(investigator, f"/staff/publications/{publication.id}")
    response = investigator.post(f"/staff/publications/{publication.id}", data={
        "csrf_token": token, "row_version": str(db.session.get(Publication, publication.id).row_version),
        "summary_source": LATER, "response_source": LATER, "submit_for_approval": "Submit for approval"})
    assert response.status_code == 409
    assert stored_after_erasure(case.id) == []


def test_a_public_answer_awaiting_approval_at_the_erasure_is_not_sent_back_with_a_note(app, clock, staff):
    case = personal_case(staff)
    publication = start_public_answer(app, staff, case)
    publication.summary_source = publication.response_source = "The officers were disciplined."
    publication.summary = publication.response = "The officers were disciplined."
    publication.status = PublicationStatus.AWAITING_APPROVAL
    db.session.commit()
    erase(app, clock, case)
    admin = staff_client(app, staff.admin)
    token = csrf_token(admin, f"/staff/publications/{publication.id}")
    response = admin.post(f"/staff/publications/{publication.id}/review", data={
        "csrf_token": token, "row_version": str(db.session.get(Publication, publication.id).row_version),
        "note": LATER, "send_back": "Send back to the author"})
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(Publication, publication.id).review_note is None


def pending_answer(app, staff, case, status: PublicationStatus) -> Publication:
    publication = start_public_answer(app, staff, case)
    if status is not PublicationStatus.DRAFT:
        publication.summary_source = publication.response_source = "The officers were disciplined."
        publication.summary = publication.response = "The officers were disciplined."
        publication.status = status
        db.session.commit()
    return publication


def section(html: str, title_id: str) -> str:
    found = re.search(rf'<section aria-labelledby="{title_id}">(.*?)</section>', html, re.S)
    return found.group(1) if found else ""


@pytest.mark.parametrize("status", [PublicationStatus.DRAFT, PublicationStatus.AWAITING_APPROVAL])
def test_an_answer_left_pending_at_the_erasure_is_listed_apart_and_any_publisher_discards_it(app, clock, staff,
                                                                                              status):
    case = personal_case(staff)
    publication_id = pending_answer(app, staff, case, status).id
    erase(app, clock, case)
    admin = staff_client(app, staff.admin)  # not the author: the author may be long gone
    queues = admin.get("/staff/publications").get_data(as_text=True)
    assert case.reference not in section(queues, "awaiting-title") + section(queues, "drafts-title")
    assert case.reference in section(queues, "erased-title")
    url = f"/staff/publications/{publication_id}"
    page = admin.get(url).get_data(as_text=True)
    version = re.search(rf'href="{url}/discard\?row_version=(\d+)"', page).group(1)
    triage = staff_client(app, staff.triage)
    assert triage.post(url + "/discard", data={"csrf_token": csrf_token(triage, url), "row_version": version,
                                               "confirmed": "yes"}).status_code == 403
    response = admin.post(url + "/discard", data={"csrf_token": csrf_token_from(page), "row_version": version,
                                                  "confirmed": "yes"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Publication, publication_id) is None
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "publication.discard")).one()
    assert entry.user_id == staff.admin.id
    assert not any(secret in json.dumps([entry.before, entry.after]) for secret in SECRETS)
    assert case.reference not in admin.get("/staff/publications").get_data(as_text=True)


def test_the_published_answer_of_an_erased_case_can_still_be_withdrawn(app, clock, staff):
    case = personal_case(staff)
    publication = pending_answer(app, staff, case, PublicationStatus.PUBLISHED)
    erase(app, clock, case)
    response = withdraw(staff_client(app, staff.admin), publication,
                        "The answer was published before the appeal ended.")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Publication, publication.id).status is PublicationStatus.WITHDRAWN
