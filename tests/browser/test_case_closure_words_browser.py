"""In Chromium on a 360-pixel phone: an investigator finds a closed case with new words from the complainant from the
dashboard, reads them on the case page and marks them read, with JavaScript off; with it on (measuring needs it),
the pages fit the screen and axe finds no serious problem. A refused message says so where the case page opens."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Case, CaseMessage, CaseStatus, Channel, MessageKind
from civicwatch.extensions import db
from tests.browser.axe import assert_accessible
from tests.browser.conftest import phone_page
from tests.browser.test_case_workflow_browser import sign_in
from tests.browser.test_staff_pages_browser import OVERFLOWING
from tests.factories import create_case

pytestmark = pytest.mark.browser
WORDS = "I moved to Bo. The officer still drives past my shop."


def closed_with_words() -> Case:
    case = create_case(CaseStatus.CLOSED)
    db.session.add(CaseMessage(case_id=case.id, kind=MessageKind.FROM_COMPLAINANT, channel=Channel.WEB, body=WORDS,
                               after_closure=True))
    db.session.commit()
    return case


def fits(page) -> None:
    assert page.evaluate(OVERFLOWING) == [], page.url
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


def test_new_words_are_read_and_marked_without_javascript(live_server, browser, make_user):
    case = closed_with_words()
    with phone_page(browser, 360, 740, javascript=False) as page:
        sign_in(page, live_server, make_user(Role.INVESTIGATOR, body="police_oversight"))
        page.get_by_role("link", name="closed cases with new words from the complainant").click()
        page.get_by_role("link", name=case.reference).click()
        assert page.locator("#closure-words").is_visible() and WORDS in page.inner_text("main")
        page.get_by_role("button", name="Mark as read").click()
        page.wait_for_load_state()
        assert "marked read" in page.inner_text("main") and not page.locator("#closure-words").count()
    assert db.session.scalar(select(CaseMessage.read_at).where(CaseMessage.case_id == case.id)) is not None


def test_a_refused_message_is_told_at_the_top_without_javascript(live_server, browser, make_user):
    case = create_case(CaseStatus.INVESTIGATING)
    with phone_page(browser, 360, 740, javascript=False) as page:
        sign_in(page, live_server, make_user(Role.INVESTIGATOR, body="police_oversight"))
        page.goto(f"{live_server}/staff/cases/{case.id}")
        page.locator("summary", has_text="Message the complainant").click()
        page.get_by_role("button", name="Send message").click()
        page.wait_for_load_state()
        notice = page.locator("#form-mistakes")
        assert "Write the message." in notice.inner_text()
        notice.get_by_role("link", name="Message to the complainant").click()
        assert page.url.endswith("#message-text")


def test_the_pages_fit_a_phone_and_pass_axe(live_server, page, make_user):
    case = closed_with_words()
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, live_server, make_user(Role.INVESTIGATOR, body="police_oversight"))
    fits(page)
    page.goto(f"{live_server}/staff/cases?queue=closed_words")
    fits(page)
    assert_accessible(page, "closed_words queue at 360px")
    page.goto(f"{live_server}/staff/cases/{case.id}")
    fits(page)
    assert_accessible(page, "closed case with new words at 360px")
    page.locator("summary", has_text="Message the complainant").click()
    page.get_by_role("button", name="Send message").click()
    page.wait_for_load_state("load")
    fits(page)
    assert_accessible(page, "refused message at 360px")
