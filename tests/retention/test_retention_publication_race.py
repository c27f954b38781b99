"""The public answer's staff pages while the retention run erases the case: the case (or the answer) was read
before the erasure, the write comes after it. Nothing the case's findings or the staff's draft hold may outlive the
erasure (no run erases a case twice)."""
from __future__ import annotations

from html import unescape

from sqlalchemy import select

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from civicwatch.publishing.models import Publication
from tests.conftest import csrf_token
from tests.factories import staff_client
from tests.retention.conftest import WORDS, due_for_erasure, erased_meanwhile

FINDINGS = f"{WORDS} was beaten by the sergeant; his sister confirmed it on 076 222 333."


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
