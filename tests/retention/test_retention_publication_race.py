"""The public answer's staff pages while the retention run erases the case: the case (or the answer) was read
before the erasure, the write comes after it. Nothing the case's findings or the staff's draft hold may outlive the
erasure (no run erases a case twice); the staff member is told that the case's content was erased, not that someone
else saved it, and given back what they typed."""
from __future__ import annotations

import re
from html import unescape

from sqlalchemy import select

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from civicwatch.publishing.models import Publication
from tests.conftest import csrf_token, csrf_token_from
from tests.factories import staff_client
from tests.publishing.conftest import publication_form
from tests.retention.conftest import WORDS, due_for_erasure, erased_meanwhile

FINDINGS = f"{WORDS} was beaten by the sergeant; his sister confirmed it on 076 222 333."


def row_version_in(page: str) -> str:
    found = re.search(r'name="row_version" type="hidden" value="(\d+)"', page)
    assert found is not None
    return found.group(1)


def test_a_draft_started_from_the_findings_while_the_case_is_erased_is_not_kept(app, clock, staff):
    case = due_for_erasure(staff, clock)
    case.findings, case.draft_public_response = FINDINGS, f"We apologise to {WORDS}."
    db.session.commit()
    case_id = case.id
    browser = staff_client(app, staff.investigator)
    token = csrf_token(browser, f"/staff/publications/case/{case_id}")
    with erased_meanwhile(app):
        response = browser.post(f"/staff/publications/case/{case_id}/start", data={"csrf_token": token})

    db.session.expire_all()
    assert db.session.get_one(Case, case_id).erased
    kept = db.session.scalars(select(Publication).where(Publication.case_id == case_id)).all()
    assert [p.summary_source + p.response_source + p.summary + p.response for p in kept] == []
    assert response.status_code == 409
    assert "personal content of this case was erased" in unescape(response.get_data(as_text=True))


def _draft_of(app, staff, clock) -> tuple[int, str]:
    """A closed case due for erasure with a draft of its public answer its investigator started on the page."""
    case = due_for_erasure(staff, clock)
    case.findings, case.draft_public_response = "The officers demanded money.", "They were disciplined."
    db.session.commit()
    browser = staff_client(app, staff.investigator)
    token = csrf_token(browser, f"/staff/publications/case/{case.id}")
    started = browser.post(f"/staff/publications/case/{case.id}/start", data={"csrf_token": token})
    assert started.status_code == 302
    return case.id, started.headers["Location"]


def test_a_draft_saved_while_the_case_is_erased_says_so_and_gives_the_text_back(app, clock, staff):
    case_id, url = _draft_of(app, staff, clock)
    browser = staff_client(app, staff.investigator)
    form = publication_form(browser.get(url).get_data(as_text=True))
    form["summary_source"] = FINDINGS
    with erased_meanwhile(app):
        response = browser.post(url, data=form)

    db.session.expire_all()
    assert [p.summary_source for p in db.session.scalars(select(Publication).where(
        Publication.case_id == case_id))] == [""]
    page = unescape(response.get_data(as_text=True))
    assert response.status_code == 409
    assert "personal content of this case was erased" in page, "told that someone else saved the case"
    assert FINDINGS in page, "the text typed in is lost"


def test_a_draft_sent_back_while_the_case_is_erased_says_so_and_gives_the_note_back(app, clock, staff):
    case_id, url = _draft_of(app, staff, clock)
    author = staff_client(app, staff.investigator)
    form = publication_form(author.get(url).get_data(as_text=True))
    form["submit_for_approval"] = "Submit for approval"
    assert author.post(url, data=form).status_code == 302
    reviewer = staff_client(app, staff.admin)
    page = reviewer.get(url).get_data(as_text=True)
    note = f"Take out what {WORDS} told us about the sergeant before this goes out."
    with erased_meanwhile(app):
        response = reviewer.post(url + "/review", data={
            "csrf_token": csrf_token_from(page), "row_version": row_version_in(page), "note": note,
            "send_back": "Send back to the author"})

    db.session.expire_all()
    assert db.session.scalars(select(Publication.review_note).where(Publication.case_id == case_id)).all() == [None]
    text = unescape(response.get_data(as_text=True))
    assert response.status_code == 409
    assert "personal content of this case was erased" in text, "told that someone else saved the case"
    assert note in text, "the note typed in is lost"
