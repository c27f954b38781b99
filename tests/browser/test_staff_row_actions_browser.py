"""In Chromium, the staff pages whose tables carry a button on each row: a screen reader user who lists the
buttons, or tabs from one to the next, hears which row each one acts on; and the case page's files fit a phone."""
from __future__ import annotations

import hashlib

import pytest

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Attachment, CaseStatus
from civicwatch.extensions import db
from civicwatch.interfaces.operations import issue_api_key
from civicwatch.retention.operations import set_schedule
from tests.browser.test_case_workflow_browser import sign_in
from tests.browser.test_staff_pages_browser import OVERFLOWING
from tests.cases.conftest import make_case  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser

# The name a screen reader gives each button and link in a table's rows, with how many times it appears.
REPEATED_NAMES = """() => {
  const names = {};
  for (const control of document.querySelectorAll('main table tbody button, main table tbody input[type=submit],'
                                                  + 'main table tbody a')) {
    const name = (control.getAttribute('aria-label') || control.value || control.textContent).replace(/\\s+/g, ' ')
      .trim();
    names[name] = (names[name] || 0) + 1;
  }
  return Object.entries(names).filter(([name, count]) => count > 1).map(([name]) => name);
}"""


def test_the_buttons_on_each_row_say_which_account_or_key(live_server, page, make_user, clock):
    """Deactivate, Reset authenticator and Revoke read the same on every row: the list of buttons says
    "Deactivate, Deactivate, Deactivate" and nothing tells which account (or API key) each one acts on."""
    admin = make_user(Role.ADMIN)
    for name in ("Fatmata Kamara", "Mohamed Sesay"):
        user = make_user(Role.INVESTIGATOR, name=name)
        user.totp_secret_encrypted = b"sealed"
    issue_api_key("Partner one", admin)
    issue_api_key("Partner two", admin)
    db.session.commit()
    sign_in(page, live_server, admin)
    for path in ("/staff/users", "/staff/api-keys"):
        page.goto(f"{live_server}{path}")
        assert page.evaluate(REPEATED_NAMES) == [], path


def test_a_case_with_a_sealed_original_fits_a_320_pixel_screen(live_server, page, make_user, make_case):
    """The original's SHA-256 (64 characters) and a long file name do not break: at 320 px (or 1280 px at 400%
    zoom) the whole case page scrolls sideways."""
    case = make_case(CaseStatus.INVESTIGATING)
    db.session.add(Attachment(case=case, stored_name="a" * 32, original_name="statement_of_the_witness_at_the_checkpoint_2026-11-30.pdf", content_type="application/pdf",
                              size=2048, sha256=hashlib.sha256(b"clean").hexdigest(),
                              original_sha256=hashlib.sha256(b"original").hexdigest()))
    db.session.commit()
    page.set_viewport_size({"width": 320, "height": 700})
    sign_in(page, live_server, make_user(Role.INVESTIGATOR))
    page.goto(f"{live_server}/staff/cases/{case.id}")
    assert page.evaluate(OVERFLOWING) == [], page.evaluate(OVERFLOWING)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def test_the_remove_buttons_of_the_retention_schedules_say_which_schedule(live_server, page, make_user):
    """Every schedule's button reads "Remove", and the table's columns have no header scope nor a name for the
    column of buttons."""
    admin = make_user(Role.ADMIN)
    set_schedule(admin, None, CaseStatus.CLOSED, 24)
    set_schedule(admin, None, CaseStatus.REJECTED, 12)
    db.session.commit()
    sign_in(page, live_server, admin)
    page.goto(f"{live_server}/staff/retention")
    assert page.evaluate(REPEATED_NAMES) == []
    assert page.evaluate("[...document.querySelectorAll('main th')].filter(th => th.scope !== 'col' "
                         "|| !th.textContent.trim()).length") == 0
