"""A newcomer plays a citizen's phone in the SMS simulator, in Chromium at phone width."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from civicwatch.cases.models import Case
from civicwatch.cases.notifications import notify_complainant
from civicwatch.extensions import db

pytestmark = pytest.mark.browser

REPORT = "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card."


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_report_by_text_and_receive_a_notification(live_server, page, screenshot):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server}/sms/simulator")
    assert no_sideways_scroll(page)
    screenshot("sms-simulator-choose")
    page.get_by_role("button", name="+23276100001", exact=True).click()
    assert page.get_by_role("heading", name="Phone +23276100001").is_visible()

    page.get_by_label("Your text").fill("police beat my brother")
    page.get_by_role("button", name="Send text").click()
    assert "Please tell us more" in page.locator("#latest").inner_text()

    page.get_by_label("Your text").fill("at the Kenema checkpoint on Monday because he had no ID card")
    page.get_by_role("button", name="Send text").click()
    reply = page.locator("#latest").inner_text()
    assert re.search(r"report CW-\d{4}-\d{6} received\. Your secret receipt code is \d{4} \d{4} \d{4} \d{4}", reply)
    assert no_sideways_scroll(page)
    screenshot("sms-simulator-reported")

    _news_of_acceptance()
    page.get_by_role("button", name="Check for new texts").click()
    page.wait_for_load_state()
    assert "was accepted by the office handling it" in page.locator("#latest").inner_text()
    screenshot("sms-simulator-notified")


def test_on_whatsapp_a_day_later_the_template_comes_then_the_news_after_the_answer(live_server, page, screenshot):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server}/sms/simulator")
    page.get_by_role("button", name="+23276100001 on WhatsApp").click()
    assert page.get_by_role("heading", name="WhatsApp +23276100001").is_visible()
    page.get_by_label("Your text").fill(REPORT)
    page.get_by_role("button", name="Send text").click()
    assert "received" in page.locator("#latest").inner_text()

    page.get_by_role("button", name="Let a day pass").click()
    _news_of_acceptance()
    page.get_by_role("button", name="Check for new texts").click()
    page.wait_for_load_state()
    assert "Send OPEN to read it" in page.locator("#latest").inner_text()
    assert "1 message held until this number writes on WhatsApp" in page.locator("#undelivered").inner_text()
    assert no_sideways_scroll(page)
    screenshot("sms-simulator-whatsapp-template")

    page.get_by_label("Your text").fill("OPEN")
    page.get_by_role("button", name="Send text").click()
    page.wait_for_load_state()
    assert "was accepted by the office handling it" in page.locator("#latest").inner_text()
    assert page.locator("#undelivered").count() == 0
    screenshot("sms-simulator-whatsapp-released")


def _news_of_acceptance() -> None:
    """The office accepts the one case: the complainant is owed a text (or a WhatsApp message) saying so."""
    case = db.session.scalars(select(Case)).one()
    notify_complainant(case, f"CivicWatch: report {case.reference} was accepted by the office handling it.",
                       "status")
    db.session.commit()
