"""A grant opens nothing once the case has gone to another body, and that stays so when the case comes back: the
grant was decided for the case in its holder's body, and whatever happened to it elsewhere (a new reason to ask, or
none) is for a new request."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicwatch.audit.models import AuditEntry
from civicwatch.disclosure.models import DisclosureRequest, DisclosureScope, DisclosureStatus
from civicwatch.disclosure.operations import approve_disclosure, request_disclosure
from civicwatch.extensions import db
from civicwatch.routing.operations import route_case
from civicwatch.taxonomy.models import Body
from tests.conftest import csrf_token
from tests.disclosure.conftest import EMAIL, REASON
from tests.disclosure.test_disclosure_originals import (
    _move_investigator_and_send_the_case_after_them,
    assert_nothing_revealed,
    granted_to_the_investigator,
    original_url,
)
from tests.factories import staff_client


def _send(case, user, code: str, clock) -> None:
    clock.advance(minutes=10)
    route_case(case, user, db.session.scalar(select(Body).filter_by(code=code)), "The allegation belongs there.")
    db.session.commit()


@pytest.mark.parametrize("what", ["original", "identity"])
def test_a_grant_does_not_come_back_with_the_case(app, staff, vault_case, clock, what):
    request, item, original = granted_to_the_investigator(staff, vault_case, what)
    _send(vault_case, staff.triage, "human_rights_commission", clock)
    _send(vault_case, staff.triage, "police_oversight", clock)  # back within the grant's hours
    browser = staff_client(app, staff.investigator)
    assert browser.get(f"/staff/cases/{vault_case.id}").status_code == 200
    assert_nothing_revealed(browser, vault_case, item, original, what)
    if what == "original":
        assert "Download the original" not in browser.get(original_url(item, "")).get_data(as_text=True)
    views = select(AuditEntry).where(AuditEntry.action.in_(("attachment.original_view", "identity.view")))
    assert db.session.scalars(views).all() == []


def test_a_grant_asked_for_after_the_case_came_back_opens_it(app, staff, vault_case, clock):
    approve_disclosure(request_disclosure(vault_case, staff.investigator, DisclosureScope.WITHIN_BODY, REASON),
                       staff.custodian, hours=8)
    db.session.commit()
    _send(vault_case, staff.triage, "human_rights_commission", clock)
    _send(vault_case, staff.triage, "police_oversight", clock)
    clock.advance(minutes=5)
    approve_disclosure(request_disclosure(vault_case, staff.investigator, DisclosureScope.WITHIN_BODY, REASON),
                       staff.custodian, hours=8)
    db.session.commit()
    page = staff_client(app, staff.investigator).get(f"/staff/cases/{vault_case.id}/identity").get_data(as_text=True)
    assert EMAIL in page


def test_a_void_grant_does_not_stop_its_holder_asking_again_from_their_new_post(app, staff, vault_case, clock):
    """The investigator's grant died with their move to another body (its hours are not over); once the case
    follows them, they ask again, as they are told to, and are not refused for "already having" a grant."""
    approve_disclosure(request_disclosure(vault_case, staff.investigator, DisclosureScope.WITHIN_BODY, REASON),
                       staff.custodian, hours=8)
    db.session.commit()
    _move_investigator_and_send_the_case_after_them(app, staff, vault_case)
    clock.advance(minutes=5)
    browser = staff_client(app, staff.investigator)
    page = f"/staff/cases/{vault_case.id}/identity"
    response = browser.post(f"{page}/requests", data={"csrf_token": csrf_token(browser, page), "scope": "within_body",
                                                      "reason": REASON})
    assert response.status_code == 302
    [asked] = db.session.scalars(select(DisclosureRequest).where(DisclosureRequest.status == DisclosureStatus.PENDING))
    approve_disclosure(asked, staff.custodian, hours=8)
    db.session.commit()
    assert EMAIL in browser.get(page).get_data(as_text=True)


def test_the_holders_own_list_says_the_void_grant_cannot_be_used_and_to_ask_again(app, staff, vault_case, clock):
    approve_disclosure(request_disclosure(vault_case, staff.investigator, DisclosureScope.WITHIN_BODY, REASON),
                       staff.custodian, hours=8)
    db.session.commit()
    _send(vault_case, staff.triage, "human_rights_commission", clock)
    _send(vault_case, staff.triage, "police_oversight", clock)
    browser = staff_client(app, staff.investigator)
    page = browser.get(f"/staff/cases/{vault_case.id}/identity").get_data(as_text=True)
    assert "No longer usable" in page and "<td>Approved</td>" not in page
    browser.get("/language/fr")
    french = browser.get(f"/staff/cases/{vault_case.id}/identity").get_data(as_text=True)
    assert "Plus utilisable" in french
    assert "Within the body handling the case" not in french  # who will see it, in the reader's language too
