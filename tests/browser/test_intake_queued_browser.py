"""A report queued for the worker (WEB_REPORTS_QUEUED), in Chromium without JavaScript as on a basic phone: the receipt
shows the code and says the reference comes once it is filed; the follow-up page says it is being filed until the
worker has filed it, then opens the case."""
from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import expect

from civicwatch.intake.queue import file_queued_reports
from tests.browser.conftest import phone_page

pytestmark = pytest.mark.browser

WHAT_HAPPENED = ("Soldiers at the Kenema junction beat my brother with a belt and kept his phone because he had "
                 "no pass.")


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config["WEB_REPORTS_QUEUED"] = True
    return app_config


def test_a_queued_report_gets_its_code_then_its_case(app: Flask, live_server, browser):
    with phone_page(browser, 320, 640, javascript=False) as page:
        page.goto(f"{live_server}/report")
        page.get_by_label("What happened?").fill(WHAT_HAPPENED)
        page.get_by_label("I have read the privacy notice").check()
        page.get_by_role("button", name="Send report").click()

        page.wait_for_url(f"{live_server}/report/received")
        assert page.get_by_role("heading", name="Your report was sent").is_visible()
        code = page.locator("#receipt-code").inner_text().strip()
        assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", code)
        assert page.locator(".slip .reference").count() == 0
        assert "once your report is filed" in page.locator(".slip").inner_text()

        page.goto(f"{live_server}/track")
        page.get_by_label("Receipt code").fill(code)
        page.get_by_role("button", name="Follow up").click()
        # is_visible() does not wait: under load it could read the page before the click's answer came.
        expect(page.get_by_role("heading", name="Your report is being filed")).to_be_visible()

        with app.app_context():
            assert file_queued_reports().filed == 1

        page.get_by_role("link", name="Enter your receipt code again").click()
        page.get_by_label("Receipt code").fill(code)
        page.get_by_role("button", name="Follow up").click()
        page.wait_for_url(f"{live_server}/track/case")
        assert page.get_by_role("heading", name=re.compile("Your case")).is_visible()
        assert re.search(r"CW-\d{4}-\d{6}", page.locator("body").inner_text())
