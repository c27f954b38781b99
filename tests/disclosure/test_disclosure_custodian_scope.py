"""The custodians' queue and decisions are scoped to the cases the custodian may open. A custodian who is an
investigator of another body, or who recused from the case (say, a relative serves in the unit reported), must
not read the case's reference, the requester and the reason, nor decide whether the complainant's identity is
disclosed."""
from __future__ import annotations

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus, Recusal
from civicwatch.disclosure.models import DisclosureRequest, DisclosureScope, DisclosureStatus
from civicwatch.disclosure.operations import request_disclosure
from civicwatch.extensions import db
from tests.conftest import csrf_token
from tests.disclosure.conftest import EMAIL, PHONE, REASON, add_user
from tests.factories import create_case, staff_client


def pending_request(requester) -> tuple[object, DisclosureRequest]:
    case = create_case(CaseStatus.INVESTIGATING, contact={"phone": PHONE, "email": EMAIL})
    request = request_disclosure(case, requester, DisclosureScope.WITHIN_BODY, REASON)
    db.session.commit()
    return case, request


def assert_neither_reads_nor_decides(app, custodian, case, request: DisclosureRequest) -> None:
    browser = staff_client(app, custodian)
    assert browser.get(f"/staff/cases/{case.id}").status_code == 404  # the case is not theirs to see
    page = browser.get("/staff/disclosures").get_data(as_text=True)
    assert case.reference not in page and REASON not in page
    for decision in ("approve", "refuse"):
        response = browser.post(f"/staff/disclosures/{request.id}/{decision}",
                                data={"csrf_token": csrf_token(browser, "/staff/disclosures"), "hours": "4",
                                      "note": "Not needed."})
        assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(DisclosureRequest, request.id).status is DisclosureStatus.PENDING


def test_a_custodian_of_another_body_neither_reads_nor_decides_its_requests(app, clock):
    asker = add_user("asker", Role.INVESTIGATOR, "police_oversight")
    custodian = add_user("hrc.custodian", Role.INVESTIGATOR, "human_rights_commission", custodian=True)
    db.session.commit()
    case, request = pending_request(asker)
    assert_neither_reads_nor_decides(app, custodian, case, request)


def test_a_recused_custodian_neither_reads_nor_decides_the_case_s_requests(app, clock):
    asker = add_user("asker", Role.INVESTIGATOR, "police_oversight")
    custodian = add_user("custodian", Role.ADMIN, custodian=True)
    db.session.commit()
    case, request = pending_request(asker)
    db.session.add(Recusal(case_id=case.id, user_id=custodian.id, reason="My brother serves in the unit reported."))
    db.session.commit()
    assert_neither_reads_nor_decides(app, custodian, case, request)
