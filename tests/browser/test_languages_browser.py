"""Each language in Chromium at 360 px, without JavaScript: the language link on the page, the report form read
and sent in that language, the receipt in it, and nothing wider than the screen, right-to-left included."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import phone_page

pytestmark = pytest.mark.browser

WIDTH = 360
REPORT = ("At the Bo checkpoint two police officers took my motorbike and said I must pay 200,000 leones "
          "to get it back. They gave no receipt.")
# (language link, field label, consent label, send button, receipt heading)
WORDS = {
    "en": ("English", "What happened?", "I have read the privacy notice", "Send report", "Your report was sent"),
    "fr": ("Français", "Que s'est-il passé ?", "J'ai lu la politique de confidentialité", "Envoyer le signalement",
           "Votre signalement est envoyé"),
    "kri": ("Krio", "Wetin apin?", "A don rid di praivesi notis", "Sen di ripot", "Yu ripot don go"),
}


@pytest.fixture
def small_phone(browser):
    with phone_page(browser, WIDTH, 740, javascript=False, locale="en-GB") as page:
        yield page


def assert_fits(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"


@pytest.mark.parametrize("language", ["en", "fr", "kri"])
def test_a_report_in_each_language_on_a_small_phone(live_server, small_phone, language):
    link, what, consent, send, received = WORDS[language]
    page = small_phone
    page.goto(f"{live_server}/report")
    if language != "en":
        # The link leads back to /report, the page already open: wait for the new page's language, not the URL.
        page.get_by_role("navigation", name="Language").get_by_role("link", name=link).click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert_fits(page)
    page.get_by_label(what).fill(REPORT)
    page.get_by_label(consent).check()
    page.get_by_role("button", name=send).click()
    page.wait_for_url(f"{live_server}/report/received")
    assert page.get_by_role("heading", level=1).inner_text() == received
    assert_fits(page)


@pytest.fixture
def arabic_offered(app_config):
    app_config["LANGUAGES"] = ["en", "fr", "kri", "ar"]


@pytest.mark.parametrize("path", ["/", "/report", "/track"])
def test_a_right_to_left_page_fits_a_small_phone(arabic_offered, live_server, small_phone, path):
    page = small_phone
    page.goto(f"{live_server}/language/ar?next={path}")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert_fits(page)
    assert page.evaluate("getComputedStyle(document.querySelector('main')).direction") == "rtl"
    # The layout mirrors: the quick exit, at the end of its row, is now on the left.
    quick_exit = page.get_by_role("link", name="Leave this site quickly").bounding_box()
    assert quick_exit["x"] < WIDTH - (quick_exit["x"] + quick_exit["width"])  # nearer the left edge
