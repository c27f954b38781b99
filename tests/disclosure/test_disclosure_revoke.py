"""A custodian can end a running grant before its hours are over (approved by mistake, or no longer needed): from
then on it opens nothing. Four eyes still hold: the holder cannot end or renew it themselves, and a custodian who
may not open the case cannot touch it."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.disclosure.models import DisclosureRequest, DisclosureScope
from civicwatch.disclosure.operations import approve_disclosure, request_disclosure
from civicwatch.extensions import db
from tests.conftest import audit_count, csrf_token, csrf_token_from, forms_posting_to
from tests.disclosure.conftest import EMAIL, PHONE, REASON, add_user
from tests.disclosure.test_disclosure_originals import (
    assert_nothing_revealed,
    granted_to_the_investigator,
)
from tests.factories import staff_client


def _end(app, custodian, request: DisclosureRequest, note: str = "Approved for the wrong case."):
    browser = staff_client(app, custodian)
    return browser.post(f"/staff/disclosures/{request.id}/revoke",
                        data={"csrf_token": csrf_token(browser, "/staff/disclosures"), "note": note,
                              "confirmed": "yes"})


@pytest.mark.parametrize("what", ["original", "identity"])
def test_a_custodian_ends_a_running_grant(app, staff, vault_case, clock, what):
    request, item, original = granted_to_the_investigator(staff, vault_case, what)
    queue = staff_client(app, staff.second_custodian).get("/staff/disclosures").get_data(as_text=True)
    assert f"/staff/disclosures/{request.id}/revoke" in queue
    clock.advance(minutes=30)
    assert _end(app, staff.second_custodian, request).status_code == 302
    browser = staff_client(app, staff.investigator)
    assert_nothing_revealed(browser, vault_case, item, original, what)
    [ended] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "disclosure.revoke"))
    assert ended.user_id == staff.second_custodian.id and ended.object_id == str(request.id)
    assert PHONE not in str(ended.after) and EMAIL not in str(ended.after)
    assert "Approved for the wrong case." not in str(ended.after)
    # Ended is ended: a second try is a conflict, not a new end time.
    assert _end(app, staff.custodian, request).status_code == 409


def test_the_holder_cannot_end_their_own_grant_nor_can_anyone_end_one_that_is_not_running(
        app, staff, vault_case, clock):
    request = request_disclosure(vault_case, staff.second_custodian, DisclosureScope.WITHIN_BODY, REASON)
    db.session.commit()
    assert _end(app, staff.custodian, request).status_code == 409  # pending: nothing runs
    approve_disclosure(request, staff.custodian, hours=2)
    db.session.commit()
    assert _end(app, staff.second_custodian, request).status_code == 403  # their own (four eyes)
    assert _end(app, staff.investigator, request).status_code == 403  # not a custodian
    clock.advance(hours=3)
    assert _end(app, staff.custodian, request).status_code == 409  # over already
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "disclosure.revoke")).all() == []


def test_a_custodian_of_another_body_cannot_end_it(app, staff, vault_case, clock):
    outsider = add_user("hrc.custodian", Role.INVESTIGATOR, "human_rights_commission", custodian=True)
    db.session.commit()
    request = request_disclosure(vault_case, staff.investigator, DisclosureScope.WITHIN_BODY, REASON)
    approve_disclosure(request, staff.custodian, hours=8)
    db.session.commit()
    assert _end(app, outsider, request).status_code == 404
    assert EMAIL in staff_client(app, staff.investigator).get(
        f"/staff/cases/{vault_case.id}/identity").get_data(as_text=True)




def _running(request: DisclosureRequest, clock) -> bool:
    db.session.expire_all()
    return db.session.get(DisclosureRequest, request.id).active_at(clock.now)


def test_ending_a_grant_asks_once_more_on_a_page_with_the_note_box(app, staff, vault_case, clock):
    request, _item, _original = granted_to_the_investigator(staff, vault_case, "identity")
    action = f"/staff/disclosures/{request.id}/revoke"
    browser = staff_client(app, staff.second_custodian)
    queue = browser.get("/staff/disclosures").get_data(as_text=True)
    assert forms_posting_to(queue, action) == [], "one press of the row's button ends the grant"
    assert f'href="{action}"' in queue
    before = audit_count()
    response = browser.get(action)
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert vault_case.reference in page and staff.investigator.name in page and "cannot be undone" in page
    assert len(forms_posting_to(page, action)) == 1 and '<input type="hidden" name="confirmed" value="yes">' in page
    assert re.search(r'<textarea[^>]*name="note"', page)
    assert re.search(r'<a [^>]*href="/staff/disclosures"[^>]*>Cancel</a>', page)
    assert _running(request, clock) and audit_count() == before
    # A POST without the page's confirmation does nothing, says so, and gives the note back.
    refused = browser.post(action, data={"csrf_token": csrf_token_from(page), "note": "Approved for the wrong case."})
    assert refused.status_code == 400
    page = html.unescape(refused.get_data(as_text=True))
    assert "Nothing was done" in page and "Approved for the wrong case." in page
    assert _running(request, clock) and audit_count() == before
    confirmed = browser.post(action, data={"csrf_token": csrf_token_from(page), "confirmed": "yes",
                                           "note": "Approved for the wrong case."})
    assert confirmed.status_code == 302 and not _running(request, clock)


def test_whoever_may_not_end_a_grant_learns_nothing_from_its_confirmation_page(app, staff, vault_case, clock):
    outsider = add_user("hrc.custodian", Role.INVESTIGATOR, "human_rights_commission", custodian=True)
    request = request_disclosure(vault_case, staff.second_custodian, DisclosureScope.WITHIN_BODY, REASON)
    approve_disclosure(request, staff.custodian, hours=8)
    db.session.commit()
    action = f"/staff/disclosures/{request.id}/revoke"
    for user, status in ((outsider, 404), (staff.auditor, 403), (staff.investigator, 403),
                         (staff.second_custodian, 403)):  # the holder: four eyes
        response = staff_client(app, user).get(action)
        assert response.status_code == status, user.name
        page = response.get_data(as_text=True)
        assert vault_case.reference not in page and "second.custodian" not in page, user.name
    assert staff_client(app, staff.custodian).get(action).status_code == 200
    assert _running(request, clock)
