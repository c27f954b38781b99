"""In Chromium, the staff pages a keyboard and screen reader user and a phone user meet: the routing page, the
pattern registers and a refused form on the case page."""
from __future__ import annotations

import pytest

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus
from tests.browser.axe import assert_accessible
from tests.browser.test_case_workflow_browser import sign_in
from tests.browser.test_staff_pages_browser import OVERFLOWING
from tests.cases.conftest import make_case  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path", ["/staff/patterns/subjects", "/staff/patterns/alerts"])
def test_the_pattern_registers_fit_a_360_pixel_screen(live_server, page, make_user, path):
    """Their tables are not in a scrolling region: the whole page scrolls sideways at a phone's width and the
    last columns (aliases, status) are off the screen."""
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, live_server, make_user(Role.INVESTIGATOR))
    page.goto(f"{live_server}{path}")
    assert page.evaluate(OVERFLOWING) == [], path
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, path


@pytest.mark.parametrize("width", [360, 1280])
def test_the_routing_page_has_no_serious_accessibility_problem(live_server, page, make_user, make_case, width):
    """axe finds a link without a name (the language menu) and, at a phone's width, tables that scroll inside a
    region a keyboard cannot reach."""
    make_case(CaseStatus.RECEIVED, body=None)
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, live_server, make_user(Role.ADMIN))
    page.goto(f"{live_server}/staff/routing/")
    assert_accessible(page, f"/staff/routing/ at {width}px")


def test_the_routing_page_keeps_the_language_menu(live_server, page, make_user, make_case):
    """Every other staff page offers English and the other languages in the header; on the routing page the
    menu is filled from the page's table of cases by language instead, so its links have no name."""
    make_case(CaseStatus.RECEIVED, body=None)
    sign_in(page, live_server, make_user(Role.TRIAGE))
    expected = page.locator("nav.languages").inner_text()
    page.goto(f"{live_server}/staff/routing/")
    assert page.locator("nav.languages").inner_text() == expected
    assert all(link.inner_text().strip() for link in page.locator("nav.languages a").all())


def test_a_refused_note_takes_focus_to_the_error_summary(live_server, page, make_user, make_case):
    """The note is sent empty: the page comes back with the error at the note form, far down the page, but focus
    stays at the top of the document, so a keyboard or screen reader user does not learn what went wrong (the
    citizen pages move focus to the summary)."""
    case = make_case(CaseStatus.INVESTIGATING)
    sign_in(page, live_server, make_user(Role.INVESTIGATOR))
    page.goto(f"{live_server}/staff/cases/{case.id}")
    page.get_by_text("Add an internal note").click()
    page.get_by_role("button", name="Add note").click()
    summary = page.locator(".error-summary")
    assert "Write the note." in summary.inner_text()
    page.wait_for_load_state("load")
    assert page.evaluate("document.activeElement.classList.contains('error-summary')"), \
        page.evaluate("document.activeElement.outerHTML.slice(0, 80)")
