"""The report form's draft in Chromium at 360 px: nothing is kept on the device unless the citizen asks; an
opted-in draft comes back after a reload, shows a "Clear it" control, and is gone once the report is sent or the
quick exit is used; offline, "Send report" keeps the report on the page; without JavaScript the form works and
offers no draft."""
from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.test_citizen_pages_browser import NEUTRAL, WHAT_HAPPENED, stand_in_for_the_neutral_site

pytestmark = pytest.mark.browser

KEY = "civicwatch:report-draft"


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def stored(page) -> dict | None:
    raw = page.evaluate(f"window.localStorage.getItem({json.dumps(KEY)})")
    return None if raw is None else json.loads(raw)


def test_by_default_nothing_is_kept_on_the_device(live_server, phone):
    phone.goto(f"{live_server}/report")
    phone.get_by_label("What happened?").fill(WHAT_HAPPENED)
    phone.get_by_label("Town, village or place").fill("Bo checkpoint")
    save = phone.get_by_label("Save a draft on this device")
    expect(save).to_be_visible()
    expect(save).not_to_be_checked()
    assert stored(phone) is None and phone.evaluate("window.localStorage.length") == 0
    phone.reload()
    expect(phone.get_by_label("What happened?")).to_have_value("")


def test_an_opted_in_draft_comes_back_and_can_be_cleared(live_server, phone):
    phone.goto(f"{live_server}/report")
    phone.get_by_label("Save a draft on this device").check()
    phone.get_by_label("What happened?").fill(WHAT_HAPPENED)
    phone.get_by_label("Yes, you may contact me").check()
    phone.get_by_label("Phone number").fill("076 123 456")
    expect(phone.get_by_text("Draft saved on this device.")).to_be_visible()
    draft = stored(phone)
    assert draft["text"] == WHAT_HAPPENED
    assert "076 123 456" not in json.dumps(draft)  # contact details never reach the device's storage

    phone.reload()
    expect(phone.get_by_label("What happened?")).to_have_value(WHAT_HAPPENED)
    expect(phone.get_by_label("Save a draft on this device")).to_be_checked()
    phone.get_by_role("button", name="Clear it").click()
    assert stored(phone) is None
    expect(phone.get_by_label("Save a draft on this device")).not_to_be_checked()
    expect(phone.get_by_text("Draft saved on this device.")).to_be_hidden()


def test_sending_the_report_removes_the_draft(live_server, phone):
    phone.goto(f"{live_server}/report")
    phone.get_by_label("Save a draft on this device").check()
    phone.get_by_label("What happened?").fill(WHAT_HAPPENED)
    phone.get_by_label("I have read the privacy notice").check()
    assert stored(phone) is not None
    phone.get_by_role("button", name="Send report").click()
    phone.wait_for_url(f"{live_server}/report/received")
    assert stored(phone) is None
    phone.goto(f"{live_server}/report")
    expect(phone.get_by_label("What happened?")).to_have_value("")


def test_the_quick_exit_removes_the_draft(live_server, phone):
    stand_in_for_the_neutral_site(phone)
    phone.goto(f"{live_server}/report")
    phone.get_by_label("Save a draft on this device").check()
    phone.get_by_label("What happened?").fill("Soldiers came to my house at night")
    assert stored(phone) is not None
    phone.get_by_role("link", name="Leave this site quickly").click()
    phone.wait_for_url(NEUTRAL)
    phone.goto(f"{live_server}/report")
    assert stored(phone) is None
    expect(phone.get_by_label("What happened?")).to_have_value("")


def test_offline_the_report_stays_on_the_page(live_server, phone):
    phone.goto(f"{live_server}/report")
    phone.get_by_label("What happened?").fill(WHAT_HAPPENED)
    phone.get_by_label("I have read the privacy notice").check()
    phone.context.set_offline(True)
    phone.get_by_role("button", name="Send report").click()
    expect(phone.get_by_text("You are offline, so nothing was sent.")).to_be_visible()
    assert phone.url == f"{live_server}/report"
    expect(phone.get_by_label("What happened?")).to_have_value(WHAT_HAPPENED)
    assert stored(phone) is None  # kept in the page's memory only: the citizen did not ask for more
    phone.context.set_offline(False)
    phone.get_by_role("button", name="Send report").click()
    phone.wait_for_url(f"{live_server}/report/received")


def test_the_form_works_without_javascript_and_offers_no_draft(live_server, browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/report")
        expect(page.get_by_label("Save a draft on this device")).to_be_hidden()
        page.get_by_label("What happened?").fill(WHAT_HAPPENED)
        page.get_by_label("I have read the privacy notice").check()
        page.get_by_role("button", name="Send report").click()
        page.wait_for_url(f"{live_server}/report/received")
        expect(page.get_by_role("heading", name="Your report was sent")).to_be_visible()
    finally:
        context.close()
