"""The leak guard compares the answer with the complainant's contact details. When those cannot be decrypted (the
identity key was rotated without re-encrypting, or a wrong key is configured) the guard cannot see a leak: the
answer is neither submitted nor approved, the page says an administrator must restore the contact key, and the
draft stays as it was. A case with no contact details at all has nothing to compare and is published as before."""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select, update

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Case, CaseStatus, ComplainantIdentity
from civicwatch.extensions import db
from civicwatch.publishing.models import Publication, PublicationStatus
from tests.conftest import csrf_token_from
from tests.publishing.conftest import publication_form

CONTACT = {"name": "Fatmata Conteh", "phone": "+23276100001"}
LEAKY = {"summary_source": "Fatmata Conteh was asked for money at the checkpoint."}
RESTORE = "administrator must restore the key"


def _unreadable(case: Case) -> None:
    db.session.execute(update(ComplainantIdentity).where(ComplainantIdentity.case_id == case.id)
                       .values(contact_encrypted=b"gAAAAAB-not-a-token-under-this-key"))
    db.session.commit()


def _draft(browser: Any, case: Case) -> str:
    page = browser.get(f"/staff/publications/case/{case.id}")
    start = browser.post(f"/staff/publications/case/{case.id}/start",
                         data={"csrf_token": csrf_token_from(page.get_data(as_text=True))})
    assert start.status_code == 302, start.get_data(as_text=True)[:500]
    return start.headers["Location"]


def _submit(browser: Any, draft_url: str) -> Any:
    form = publication_form(browser.get(draft_url).get_data(as_text=True))
    form.update(LEAKY)
    form["submit_for_approval"] = "Submit for approval"
    return browser.post(draft_url, data=form)


def _approve(browser: Any, draft_url: str) -> Any:
    review = browser.get(draft_url).get_data(as_text=True)
    return browser.post(draft_url + "/review", data={
        "csrf_token": csrf_token_from(review),
        "row_version": re.search(r'name="row_version" type="hidden" value="(\d+)"', review).group(1),
        "confirm": "y", "approve": "Approve and publish"})


def _status(case_id: int) -> PublicationStatus:
    db.session.expire_all()
    return db.session.scalar(select(Publication.status).where(Publication.case_id == case_id))


def test_a_draft_is_not_submitted_while_the_contact_details_cannot_be_read(new_case, make_user, browser_for):
    case = new_case(CaseStatus.CLOSED, contact=CONTACT)
    author = browser_for(make_user(Role.INVESTIGATOR))
    draft_url = _draft(author, case)
    _unreadable(case)
    response = _submit(author, draft_url)
    assert response.status_code == 400, response.status_code
    assert RESTORE in " ".join(response.get_data(as_text=True).split())
    assert _status(case.id) is PublicationStatus.DRAFT


def test_a_submitted_answer_is_not_approved_once_the_contact_details_cannot_be_read(new_case, make_user, browser_for):
    case = new_case(CaseStatus.CLOSED, contact=CONTACT)
    author, approver = (browser_for(make_user(Role.INVESTIGATOR)) for _ in range(2))
    draft_url = _draft(author, case)
    assert _submit(author, draft_url).status_code == 302  # the name is found and hidden while the key reads it
    _unreadable(case)
    response = _approve(approver, draft_url)
    assert response.status_code == 400, response.status_code
    assert RESTORE in " ".join(response.get_data(as_text=True).split())
    assert _status(case.id) is PublicationStatus.AWAITING_APPROVAL


def test_a_case_without_contact_details_is_published_as_before(new_case, make_user, browser_for):
    case = new_case(CaseStatus.CLOSED)
    assert case.identity is None
    author, approver = (browser_for(make_user(Role.INVESTIGATOR)) for _ in range(2))
    draft_url = _draft(author, case)
    assert _submit(author, draft_url).status_code == 302
    assert _approve(approver, draft_url).status_code == 302
    assert _status(case.id) is PublicationStatus.PUBLISHED
