"""A link on another site (a phishing mail, a chat, a forum) that sends a staff member's browser to a file, a sealed
original or a complainant's identity. The session cookie goes along with such a navigation (SameSite=Lax), so
without a check the browser would fetch the file onto the computer, or show the identity, and the audit log would
say the staff member chose to look. Browsers say where a navigation comes from (Sec-Fetch-Site): only the
application's own pages, or an address typed or bookmarked, open them."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civicwatch.audit.models import AuditEntry
from civicwatch.cases.attachments import IncomingFile, prepare_upload, save_attachment
from civicwatch.cases.models import CaseStatus
from civicwatch.disclosure.models import DisclosureScope
from civicwatch.disclosure.operations import approve_disclosure, request_disclosure, request_original
from civicwatch.extensions import db
from tests.disclosure.conftest import EMAIL, PHONE, REASON
from tests.factories import create_case, jpeg_with_gps, staff_client

LOOKS = ("attachment.view", "attachment.original_view", "identity.view")


@pytest.fixture
def granted(app, staff, clock):
    """A case with a sealed file, and the investigator's running grants for its original and for the identity."""
    case = create_case(CaseStatus.INVESTIGATING, contact={"phone": PHONE, "email": EMAIL})
    original = jpeg_with_gps(comment=b"as it was sent")
    item = save_attachment(case, prepare_upload(IncomingFile("bruises.jpg", original), keep_original=True))
    db.session.commit()
    approve_disclosure(request_original(item, staff.investigator, REASON), staff.custodian, hours=8)
    approve_disclosure(request_disclosure(case, staff.investigator, DisclosureScope.WITHIN_BODY, REASON),
                       staff.custodian, hours=8)
    db.session.commit()
    base = f"/staff/cases/{case.id}"
    return {"file": f"{base}/attachments/{item.id}", "original": f"{base}/attachments/{item.id}/original/download",
            "identity": f"{base}/identity"}


def looks() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action.in_(LOOKS)))


@pytest.mark.parametrize("what", ["file", "original", "identity"])
@pytest.mark.parametrize("origin", ["cross-site", "same-site"])
def test_a_link_from_another_site_opens_nothing_and_records_no_look(app, staff, granted, what, origin):
    browser = staff_client(app, staff.investigator)
    for method in ("GET", "HEAD"):
        response = browser.open(granted[what], method=method, headers={"Sec-Fetch-Site": origin,
                                                                       "Sec-Fetch-Mode": "navigate"})
        assert response.status_code == 403, (method, response.status_code)
        assert "attachment" not in response.headers.get("Content-Disposition", "")
        assert EMAIL not in response.get_data(as_text=True)
    assert looks() == 0


@pytest.mark.parametrize("what", ["file", "original", "identity"])
@pytest.mark.parametrize("origin", ["same-origin", "none", None])
def test_the_application_s_own_pages_a_bookmark_and_older_browsers_still_open_them(app, staff, granted, what, origin):
    browser = staff_client(app, staff.investigator)
    headers = {"Sec-Fetch-Site": origin} if origin else {}
    response = browser.get(granted[what], headers=headers)
    assert response.status_code == 200
    response.close()
    assert looks() == 1
