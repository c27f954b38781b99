"""In Chromium: a triage officer routes a case; an investigator acknowledges it, messages the complainant,
records findings, responds and closes the case."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Case, CaseStatus, MessageKind
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage
from tests.cases.conftest import make_case  # noqa: F401  (the fixture)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page, live_server, user):
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server}/staff/")


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()


def test_case_from_triage_to_closure(live_server, page, make_user, make_case, screenshot):
    case = make_case(CaseStatus.RECEIVED, body=None, phone="+23276100999",
                     text="Police at Waterloo junction beat my son and kept his phone. We reported it twice.")
    triage = make_user(Role.TRIAGE, name="Tamba Triage")
    investigator = make_user(Role.INVESTIGATOR, body="police_oversight", name="Isatu Investigator")

    sign_in(page, live_server, triage)
    page.get_by_role("link", name="Cases").first.click()
    page.get_by_role("link", name=case.reference).click()
    assert page.get_by_text("Choose the oversight body that can act on this complaint.").is_visible()
    page.get_by_label("Send to").select_option(label="Independent Police Oversight Authority")
    page.get_by_label("Why this body").fill("Police misconduct at a junction: the police oversight body.")
    page.get_by_role("button", name="Send to this body").click()
    expect(page.locator("body")).to_contain_text("The case was sent to Independent Police Oversight Authority")
    screenshot("case-routed-by-triage")
    sign_out(page)

    sign_in(page, live_server, investigator)
    page.get_by_role("link", name="Cases").first.click()
    page.get_by_role("link", name=case.reference).click()
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("body")).to_contain_text("The complaint is acknowledged.")

    page.get_by_text("Message the complainant").click()
    page.get_by_label("Message to the complainant").fill("Which day did this happen, and who saw it?")
    page.get_by_role("button", name="Send message").click()
    expect(page.locator("body")).to_contain_text("Message sent to the complainant.")

    page.get_by_role("button", name="Start investigating").click()
    page.get_by_label("Outcome", exact=True).select_option("substantiated")
    page.get_by_label("Findings", exact=True).fill("Two witnesses and the station log confirm the beating and the phone.")
    page.get_by_role("button", name="Save findings").click()
    expect(page.locator("body")).to_contain_text("Findings saved.")

    page.get_by_label("Response to the complainant").fill(
        "We found that officers beat your son. They face discipline and the phone will be returned.")
    page.get_by_role("button", name="Send the response").click()
    expect(page.locator("body")).to_contain_text("The answer has been sent to the complainant.")
    page.get_by_role("button", name="Close the case").click()
    expect(page.locator("body")).to_contain_text("The case is closed.")
    screenshot("case-closed-by-investigator")

    db.session.expire_all()
    stored = db.session.get(Case, case.id)
    assert stored.status is CaseStatus.CLOSED and stored.reference == case.reference
    assert stored.body.code == "police_oversight"
    sent = [m for m in stored.messages if m.kind is MessageKind.TO_COMPLAINANT]
    assert len(sent) == 2
    purposes = {m.purpose for m in db.session.query(OutboundMessage).filter_by(case_id=case.id)}
    assert {"reply", "answer"} <= purposes
