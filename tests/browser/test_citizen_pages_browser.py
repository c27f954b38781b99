"""Citizen pages in Chromium: the quick exit, with and without JavaScript, and the print button that only
shows when it can work."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

NEUTRAL = "https://www.google.com/"
WHAT_HAPPENED = ("At the Bo checkpoint two police officers took my motorbike and said I must pay "
                 "200,000 leones to get it back. They gave no receipt.")


def stand_in_for_the_neutral_site(page) -> None:
    # The test machine has no internet: the neutral site is answered locally, at the same address.
    page.context.route(f"{NEUTRAL}**", lambda route: route.fulfill(
        status=200, content_type="text/html", body="<!doctype html><title>Search</title><p>Search</p>"))


def send_report(page, live_server: str, text: str = WHAT_HAPPENED) -> str:
    """Send a report from the form; its receipt code."""
    page.goto(f"{live_server}/report")
    page.get_by_label("What happened?").fill(text)
    page.get_by_label("I have read the privacy notice").check()
    page.get_by_role("button", name="Send report").click()
    page.wait_for_url(f"{live_server}/report/received")
    return page.locator("#receipt-code").inner_text().strip()


def test_quick_exit_replaces_the_page_in_the_history(live_server, page):
    stand_in_for_the_neutral_site(page)
    page.goto(f"{live_server}/")
    page.goto(f"{live_server}/report")
    page.get_by_label("What happened?").fill("Soldiers came to my house")
    page.get_by_role("link", name="Leave this site quickly").click()
    page.wait_for_url(NEUTRAL)
    page.go_back()
    page.wait_for_load_state()
    assert page.url == f"{live_server}/"  # Back skips the report page


@pytest.mark.parametrize("path", ["/", "/report", "/track", "/privacy"])
def test_quick_exit_works_without_javascript(live_server, browser, path):
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    page = context.new_page()
    try:
        stand_in_for_the_neutral_site(page)
        page.goto(f"{live_server}{path}")
        page.get_by_role("link", name="Leave this site quickly").click()
        page.wait_for_url(NEUTRAL)
    finally:
        context.close()


def test_print_button_shows_only_with_javascript(live_server, browser, page):
    send_report(page, live_server)
    expect(page.get_by_role("button", name="Print or save this page")).to_be_visible()

    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    without_js = context.new_page()
    try:
        send_report(without_js, live_server)
        expect(without_js.get_by_role("button", name="Print or save this page")).to_be_hidden()
        expect(without_js.locator("body")).to_contain_text("use your browser")
    finally:
        context.close()


def test_forget_this_case_names_what_it_does(live_server, page):
    send_report(page, live_server)
    code = page.locator("#receipt-code").inner_text()
    page.goto(f"{live_server}/track")
    page.get_by_label("Receipt code").fill(code)
    page.get_by_role("button", name="Follow up").click()
    page.wait_for_url(f"{live_server}/track/case")
    expect(page.get_by_role("button", name="Close my case on this device")).to_have_count(0)
    page.get_by_role("button", name="Forget this case on this device").click()
    page.wait_for_url(f"{live_server}/track")
    expect(page.locator("body")).to_contain_text("Your report is still open")
