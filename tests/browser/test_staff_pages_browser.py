"""In Chromium at a phone's width: the staff pages fit the screen, without sideways scrolling."""
from __future__ import annotations

import pytest

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus
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
