"""A grant ends with its holder's account: deactivated (suspended, leaving) and reactivated while the grant's hours
run, they see nothing by it, and they may ask again."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicwatch.audit.models import AuditEntry
from civicwatch.disclosure.models import DisclosureScope
from civicwatch.disclosure.operations import approve_disclosure, request_disclosure
from civicwatch.errors import ConflictError
from civicwatch.extensions import db
from tests.conftest import csrf_token
from tests.disclosure.conftest import EMAIL, REASON
from tests.disclosure.test_disclosure_originals import (
    assert_nothing_revealed,
    granted_to_the_investigator,
)
from tests.factories import staff_client


def _set_active(app, staff, active: bool) -> None:
    admin = staff_client(app, staff.admin)
    response = admin.post(f"/staff/users/{staff.investigator.id}/active", data={
        "csrf_token": csrf_token(admin, "/staff/users"), "active": "1" if active else "0",
        "confirmed": "yes"})
    assert response.status_code == 302


@pytest.mark.parametrize("what", ["original", "identity"])
def test_a_grant_does_not_come_back_with_a_reactivated_account(app, staff, vault_case, clock, what):
    request, item, original = granted_to_the_investigator(staff, vault_case, what)
    clock.advance(minutes=10)
    _set_active(app, staff, False)
    clock.advance(hours=1)
    _set_active(app, staff, True)
    browser = staff_client(app, staff.investigator)
    assert browser.get(f"/staff/cases/{vault_case.id}").status_code == 200
    assert_nothing_revealed(browser, vault_case, item, original, what)
    views = select(AuditEntry).where(AuditEntry.action.in_(("attachment.original_view", "identity.view")))
    assert db.session.scalars(views).all() == []
    clock.advance(minutes=5)
    approve_disclosure(request_disclosure(vault_case, staff.investigator, DisclosureScope.WITHIN_BODY, REASON),
                       staff.custodian, hours=8)
    db.session.commit()
    assert EMAIL in browser.get(f"/staff/cases/{vault_case.id}/identity").get_data(as_text=True)


def test_a_request_asked_before_a_deactivation_is_not_approved_after_it(app, staff, vault_case, clock):
    request = request_disclosure(vault_case, staff.investigator, DisclosureScope.WITHIN_BODY, REASON)
    db.session.commit()
    clock.advance(minutes=10)
    _set_active(app, staff, False)
    _set_active(app, staff, True)
    with pytest.raises(ConflictError):
        approve_disclosure(request, staff.custodian, hours=8)
    db.session.rollback()
    page = staff_client(app, staff.investigator).get(f"/staff/cases/{vault_case.id}/identity").get_data(as_text=True)
    assert EMAIL not in page
