"""/transparency in a real Chromium on a phone-sized screen: the page, its charts and its filters work, with
and without JavaScript, and nothing is refused by the Content Security Policy."""
import pytest

from civicwatch.demo.operations import build_demo
from civicwatch.extensions import db


@pytest.fixture
def demo_cases(app):
    build_demo("demo-password-123", 200, 3)
    db.session.commit()


@pytest.mark.browser
def test_the_transparency_page_in_chromium(live_server, page, screenshot, demo_cases):
    refused = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text
            else None)
    page.goto(f"{live_server}/transparency")
    assert page.locator("h1").inner_text().startswith("What happens to complaints")
    assert page.locator("svg.chart").count() == 3
    assert page.locator("svg.chart rect.bar, svg.chart rect.bar-small").count() > 0
    assert page.get_by_role("img", name="Complaints received each month", exact=True).is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # tables scroll inside their box; the page itself fits the phone
    screenshot("transparency-overview")

    page.get_by_text("Choose a period, body, subject or region").click()
    page.select_option("#body", "police_oversight")
    page.get_by_role("button", name="Show figures").click()
    assert "body=police_oversight" in page.url
    assert "Independent Police Oversight Authority" in page.locator(".scope").inner_text()
    assert not refused


@pytest.mark.browser
def test_the_published_answers_page_without_javascript(live_server, browser, demo_cases):
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server}/published")
        assert page.locator("h1").inner_text().startswith("Answers published")
        page.fill("#q", "anything")
        page.get_by_role("button", name="Search").click()
        assert "q=anything" in page.url
        page.goto(f"{live_server}/transparency")
        assert page.locator("svg.chart").count() == 3
    finally:
        context.close()
