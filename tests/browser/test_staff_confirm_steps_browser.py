"""In Chromium with JavaScript off, on a phone's screen: a staff button that cannot be undone asks once more.

Enter pressed on the wrong row's "Revoke" (or a mis-tap) opens a page that names the key; Cancel leaves it working,
and only the button on that page revokes it."""
from __future__ import annotations

import pytest

from civicwatch.accounts.models import Role
from civicwatch.extensions import db
from civicwatch.interfaces.models import ApiKey
from civicwatch.interfaces.operations import issue_api_key
from tests.browser.conftest import phone_page
from tests.browser.test_case_workflow_browser import sign_in

pytestmark = pytest.mark.browser


def test_enter_on_a_rows_revoke_asks_first_without_javascript(live_server, browser, make_user):
    admin = make_user(Role.ADMIN)
    kept, _ = issue_api_key("Radio Democracy app", admin)
    issue_api_key("Youth network app", admin)
    db.session.commit()
    with phone_page(browser, 360, 740, javascript=False) as page:
        sign_in(page, live_server, admin)
        page.goto(f"{live_server}/staff/api-keys")
        revoke = page.get_by_role("link", name="Revoke the key for Radio Democracy app")
        revoke.focus()
        page.keyboard.press("Enter")
        page.wait_for_load_state()
        assert page.get_by_role("heading", level=1).inner_text() == "Revoke the key for Radio Democracy app?"
        page.get_by_role("link", name="Cancel").click()
        page.wait_for_url(f"{live_server}/staff/api-keys")
        db.session.expire_all()
        assert db.session.get(ApiKey, kept.id).revoked_at is None

        page.get_by_role("link", name="Revoke the key for Radio Democracy app").click()
        page.get_by_role("button", name="Revoke the key").click()
        page.wait_for_url(f"{live_server}/staff/api-keys")
        db.session.expire_all()
        assert db.session.get(ApiKey, kept.id).revoked_at is not None
        assert [key.revoked_at is None for key in db.session.query(ApiKey).order_by(ApiKey.id)] == [False, True]
