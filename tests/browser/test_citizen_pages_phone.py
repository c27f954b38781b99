"""Citizen pages at a 320x568 phone screen, in a real Chromium with JavaScript on and off: what the Back button
brings back, a reply kept when the case closed for safety, the page language in the script's warnings, keyboard
focus from an error, width and tap targets."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from civicwatch.demo.operations import build_demo
from civicwatch.extensions import db
from tests.browser.conftest import phone_page
from tests.browser.test_citizen_pages_browser import NEUTRAL, stand_in_for_the_neutral_site
from tests.browser.test_citizen_pages_browser import send_report as send_a_report

pytestmark = pytest.mark.browser

WHAT_HAPPENED = "Soldiers at the Bo junction post took my phone and beat my brother badly last night."
REPLY = "The officer's name is Sergeant Kamara, badge 4471. He came back to our house today."


@pytest.fixture
def phone(browser, request):
    with phone_page(browser, 320, 568, javascript=getattr(request, "param", True)) as page:
        yield page


def typed_report(page) -> str:
    box = page.locator("#text")
    return box.input_value() if box.count() else ""


# -- Safety: what was typed comes back with the Back button -----------------------------------------------------

@pytest.mark.parametrize("phone", [False], indirect=True, ids=["no-js"])
def test_after_the_quick_exit_without_javascript_back_shows_nothing_typed(live_server, phone):
    """Without JavaScript the exit is a plain link, so /report stays in the history; Back from the neutral site
    brings the report page back with everything the citizen had typed, restored by the browser."""
    stand_in_for_the_neutral_site(phone)
    phone.goto(f"{live_server}/")
    phone.goto(f"{live_server}/report")
    phone.get_by_label("What happened?").fill(WHAT_HAPPENED)
    phone.get_by_role("link", name="Leave this site quickly").click()
    phone.wait_for_url(NEUTRAL)
    phone.go_back()
    phone.wait_for_load_state()
    assert WHAT_HAPPENED not in typed_report(phone)


@pytest.mark.parametrize("phone", [True, False], indirect=True, ids=["js", "no-js"])
def test_back_after_sending_a_report_shows_nothing_of_it(live_server, phone):
    """The draft is off by default "because anyone who uses this phone after you could read it", yet one press
    of Back after the receipt shows the whole report again in the form."""
    send_a_report(phone, live_server, WHAT_HAPPENED)
    phone.go_back()
    phone.wait_for_load_state()
    assert WHAT_HAPPENED not in typed_report(phone)


# -- A reply typed on the follow-up page is lost when the case closes for safety --------------------------------

def test_a_reply_typed_before_the_case_closed_for_safety_is_not_lost(live_server, phone, clock):
    code = send_a_report(phone, live_server, WHAT_HAPPENED)
    phone.goto(f"{live_server}/track")
    phone.get_by_label("Receipt code").fill(code)
    phone.get_by_role("button", name="Follow up").click()
    phone.wait_for_url(f"{live_server}/track/case")
    phone.get_by_label("Your message").fill(REPLY)
    clock.advance(minutes=20)  # writing a long message on a phone takes time; the case closes after 15 idle minutes
    phone.get_by_role("button", name="Send", exact=True).click()
    phone.wait_for_load_state()
    kept = phone.evaluate("() => [...document.querySelectorAll('textarea, input[type=hidden]')].map(e => e.value)"
                          ".join(' ') + document.body.innerText")
    phone.go_back()
    phone.wait_for_load_state()
    kept += phone.evaluate("() => [...document.querySelectorAll('textarea')].map(e => e.value).join(' ')")
    assert REPLY in kept, "the message the citizen wrote is gone: neither shown again nor kept to send"


# -- Language ---------------------------------------------------------------------------------------------------

def test_the_too_many_files_warning_is_in_the_page_language(live_server, phone, tmp_path):
    """js/intake.js writes its warnings in English whatever the page's language."""
    phone.goto(f"{live_server}/language/fr?next=/report")
    expect(phone.locator("html")).to_have_attribute("lang", "fr")
    files = []
    for index in range(6):
        path = tmp_path / f"photo{index}.jpg"
        path.write_bytes(b"\xff\xd8\xff" + b"0" * 100)
        files.append(str(path))
    phone.locator("#attachments").set_input_files(files)
    warning = phone.locator("p.error[role=alert]:not([hidden])").first
    expect(warning).to_be_visible()
    assert "Choose at most" not in warning.inner_text() and "You chose" not in warning.inner_text()


# -- Keyboard ---------------------------------------------------------------------------------------------------

def test_an_error_about_a_choice_takes_the_keyboard_to_the_choice(live_server, phone):
    """The error summary links to the choice's first option: its box (a <fieldset>) cannot take focus, and a link
    to it left focus on <body>."""
    phone.goto(f"{live_server}/report")
    phone.get_by_label("What happened?").fill(WHAT_HAPPENED)
    phone.locator("#contact_choice-1").check()  # "give contact details", then none given
    phone.get_by_label("I have read the privacy notice").check()
    phone.get_by_role("button", name="Send report").click()
    link = phone.locator(".error-summary a[href='#contact_choice-0']")
    expect(link).to_have_count(1)
    link.focus()
    phone.keyboard.press("Enter")
    focused = phone.evaluate("() => document.activeElement.name || document.activeElement.tagName")
    assert focused in ("contact_choice", "phone", "email"), f"focus went to {focused}"


# -- Layout and tap targets --------------------------------------------------------------------------------------

@pytest.fixture
def demo(app):
    build_demo("demo-password-123", 120, 3)
    db.session.commit()


def test_the_transparency_page_fits_a_320_pixel_screen(live_server, phone, demo):
    """The chart key "share acknowledged within the deadline" is white-space: nowrap and sticks out 6px."""
    phone.goto(f"{live_server}/transparency")
    overflow = phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"/transparency is {overflow}px wider than a 320px screen"


def test_the_language_links_are_big_enough_to_tap(live_server, phone):
    """The only way to a French or Krio page: links about 23px high ("Krio" is 30x23) on a phone."""
    phone.goto(f"{live_server}/report")
    small = []
    for link in phone.get_by_role("navigation", name="Language").get_by_role("link").all():
        box = link.bounding_box()
        if box["height"] < 44 or box["width"] < 44:
            small.append(f"{link.inner_text()} {box['width']:.0f}x{box['height']:.0f}")
    assert not small, f"language links smaller than 44x44px: {small}"
