"""In Chromium on a 360-pixel phone: an investigator finds the complainant's answer on a case being worked on from
the dashboard, sees it marked on the queue's row, reads it on the case page and marks it read, with JavaScript off;
with it on (measuring needs it), the pages fit the screen and axe finds no serious problem."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Case, CaseMessage, CaseStatus, Channel, MessageKind
from civicwatch.extensions import db
from tests.browser.axe import assert_accessible
from tests.browser.conftest import phone_page
from tests.browser.test_case_closure_words_browser import fits
from tests.browser.test_case_workflow_browser import sign_in
from tests.factories import create_case

pytestmark = pytest.mark.browser
ANSWER = "It happened on the 3rd of May, at the checkpoint near the market."


def answered() -> Case:
    case = create_case(CaseStatus.INVESTIGATING)
    db.session.add(CaseMessage(case_id=case.id, kind=MessageKind.FROM_COMPLAINANT, channel=Channel.WEB, body=ANSWER))
    db.session.commit()
    return case


def test_an_answer_is_found_read_and_marked_without_javascript(live_server, browser, make_user):
    case = answered()
    with phone_page(browser, 360, 740, javascript=False) as page:
        sign_in(page, live_server, make_user(Role.INVESTIGATOR, body="police_oversight"))
        page.get_by_role("link", name="cases in progress with new words from the complainant").click()
        row = page.locator(".case-row", has_text=case.reference)
        assert "New words, not read yet" in row.inner_text()
        page.get_by_role("link", name=case.reference).click()
        assert page.locator("#closure-words").is_visible() and ANSWER in page.inner_text("main")
        page.get_by_role("button", name="Mark as read").click()
        page.wait_for_load_state()
        assert "marked read" in page.inner_text("main") and not page.locator("#closure-words").count()
    assert db.session.scalar(select(CaseMessage.read_at).where(CaseMessage.case_id == case.id)) is not None


def test_the_pages_fit_a_phone_and_pass_axe(live_server, page, make_user):
    case = answered()
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, live_server, make_user(Role.INVESTIGATOR, body="police_oversight"))
    for queue in ("new_words", "body"):
        page.goto(f"{live_server}/staff/cases?queue={queue}")
        fits(page)
        assert_accessible(page, f"{queue} queue with new words at 360px")
    page.goto(f"{live_server}/staff/cases/{case.id}")
    fits(page)
    assert_accessible(page, "case in progress with new words at 360px")
