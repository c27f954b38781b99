"""In Chromium: the "Sent by SMS" guide the page's script writes while a staff member types says what the server
says for the same text: the same count (a character of two units never split between segments) and, for a
French reader, the same French words."""
from __future__ import annotations

import pytest
from flask_babel import force_locale
from playwright.sync_api import expect

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus
from civicwatch.messaging.segments import length_guide
from tests.browser.test_case_workflow_browser import sign_in
from tests.cases.conftest import make_case  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_script_writes_the_guide_the_server_would(live_server, page, make_user, make_case, app, language):
    case = make_case(CaseStatus.INVESTIGATING, phone="+23276555123")
    sign_in(page, live_server, make_user(Role.INVESTIGATOR))
    page.goto(f"{live_server}/language/{language}")
    page.goto(f"{live_server}/staff/cases/{case.id}")
    prefix = f"CivicWatch {case.reference}: "
    # 306 septets with the prefix, two joined segments' worth, but the euro falls across their boundary.
    text = "a" * (152 - len(prefix)) + "€" + "a" * 152
    page.locator("details:has(#message-text) > summary").click()
    page.locator("#message-text").fill(text)
    with app.test_request_context(), force_locale(language):
        expected = length_guide(text, prefix)
    expect(page.locator("#message-text-sms")).to_have_text(expected)
    assert ("3 textes" if language == "fr" else "3 texts") in expected
