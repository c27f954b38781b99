"""In Chromium at a phone's width: the staff pages fit the screen, without sideways scrolling."""
from __future__ import annotations

import pytest

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from civicwatch.messaging.operations import queue_sms
from civicwatch.sms.queries import OUTBOX_PAGE_SIZE
from tests.browser.test_case_workflow_browser import sign_in
from tests.cases.conftest import make_case  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser

OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 1 && !e.closest('.table-wrap'))
    .map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').trim().slice(0, 40));
}"""


@pytest.mark.parametrize("role", [Role.ADMIN, Role.INVESTIGATOR])
def test_the_dashboard_fits_a_360_pixel_screen(live_server, page, make_user, make_case, role, screenshot):
    for status in (CaseStatus.RECEIVED, CaseStatus.INVESTIGATING, CaseStatus.RESPONDED):
        make_case(status)
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, live_server, make_user(role, name="Aminata Kamara-Sesay"))
    for path in ("/staff/", "/staff/cases?queue=all"):
        page.goto(f"{live_server}{path}")
        assert page.evaluate(OVERFLOWING) == [], path
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
    screenshot(f"dashboard-360-{role.value}")


def test_the_outbox_lists_waiting_texts_at_360_pixels_without_javascript(live_server, browser, make_user, make_case):
    case = make_case(CaseStatus.INVESTIGATING)
    for number in range(OUTBOX_PAGE_SIZE + 1):
        message = queue_sms(f"+2327650{number:04d}", "CivicWatch: your case moved.", "status", case_id=case.id)
    message.attempts, message.last_error_code = 2, 30003
    message.last_error = "carrier reported undelivered (Twilio error 30003)"
    db.session.commit()
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, live_server, make_user(Role.INVESTIGATOR, body=case.body))
        page.get_by_role("link", name="Outbox").click()
        assert page.locator("#waiting-title + p + ol > li").count() == OUTBOX_PAGE_SIZE
        page.get_by_role("link", name="Next →").click()
        texts = page.locator("#waiting-title + p + ol > li")
        assert texts.count() == 1
        assert "The phone was switched off or out of reach." in texts.inner_text()
        assert page.evaluate(OVERFLOWING) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()
