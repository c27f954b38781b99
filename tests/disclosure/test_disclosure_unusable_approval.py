"""A request whose asker can no longer use a grant (moved to another post, deactivated, or the case gone from their
body) is not approved: approving it would open nothing, yet outside the body it would tell the complainant that
their details are being shared. The custodian is told why (409) and refuses it; nothing is sent."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicwatch.cases.models import CaseMessage
from civicwatch.disclosure.models import DisclosureRequest, DisclosureScope, DisclosureStatus
from civicwatch.disclosure.operations import request_disclosure
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage
from civicwatch.routing.operations import route_case
from civicwatch.taxonomy.models import Body
from tests.conftest import csrf_token
from tests.disclosure.conftest import REASON
from tests.factories import staff_client


def _admin_post(app, staff, path: str, data: dict[str, str]) -> None:
    admin = staff_client(app, staff.admin)
    assert admin.post(path, data={"csrf_token": csrf_token(admin, "/staff/users"), **data}).status_code == 302


@pytest.mark.parametrize("change", ["moved", "deactivated", "case_sent_on"])
def test_a_request_its_asker_can_no_longer_use_is_not_approved_nor_told(app, staff, vault_case, clock, change):
    request = request_disclosure(vault_case, staff.investigator, DisclosureScope.OUTSIDE_BODY, REASON,
                                 recipient="The prosecutor of Western Area")
    db.session.commit()
    clock.advance(minutes=10)
    if change == "moved":
        _admin_post(app, staff, f"/staff/users/{staff.investigator.id}/role",
                    {"role": "investigator", "body": "human_rights_commission"})
    elif change == "deactivated":
        _admin_post(app, staff, f"/staff/users/{staff.investigator.id}/active", {"active": "0", "confirmed": "yes"})
    else:
        route_case(vault_case, staff.triage, db.session.scalar(select(Body).filter_by(code="human_rights_commission")),
                   "The allegation is one for the human rights commission.")
        db.session.commit()
    custodian = staff_client(app, staff.second_custodian)
    token = csrf_token(custodian, "/staff/disclosures")
    response = custodian.post(f"/staff/disclosures/{request.id}/approve", data={"csrf_token": token, "hours": "4"})
    assert response.status_code == 409
    assert "can no longer use" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(DisclosureRequest, request.id).status is DisclosureStatus.PENDING
    assert db.session.scalars(select(CaseMessage)).all() == []
    assert db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "disclosure_notice")).all() == []
    response = custodian.post(f"/staff/disclosures/{request.id}/refuse",
                              data={"csrf_token": token, "note": "The asker has left the case."})
    assert response.status_code == 302
