"""axe-core finds no critical or serious problem on the public pages and on the staff pages, at a phone's and a
desk's width."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Case, CaseStatus
from civicwatch.demo.operations import build_demo
from civicwatch.extensions import db
from civicwatch.publishing.models import Publication, PublicationStatus
from tests.browser.axe import assert_accessible, serious_violations
from tests.browser.test_case_workflow_browser import sign_in
from tests.factories import create_case

# The demo makes a dozen staff members and the staff scan signs two in: argon2 at its lowest cost (what is
# tested here is not the password).
pytestmark = pytest.mark.browser

PUBLIC = ["/", "/transparency", "/transparency?body=intelligence_committee&theme=surveillance_privacy",
          "/transparency/data", "/published", "/privacy", "/login"]


@pytest.fixture
def demo(app):
    build_demo("demo-password-123", 120, 3)
    db.session.commit()


@pytest.mark.parametrize("width", [360, 1280])
def test_public_pages_have_no_serious_accessibility_problem(live_server, page, demo, width):
    page.set_viewport_size({"width": width, "height": 800})
    answer = db.session.scalar(select(Publication).where(Publication.status == PublicationStatus.PUBLISHED))
    paths = PUBLIC + ([f"/published/{answer.case.reference}"] if answer else [])
    assert answer is not None, "the demo publishes answers"
    for path in paths:
        page.goto(f"{live_server}{path}")
        assert_accessible(page, path)
    page.goto(f"{live_server}/transparency")
    for summary in page.locator("details > summary").all():
        summary.click()  # tables and filters open
    assert_accessible(page, "/transparency, every part open")


def test_staff_pages_have_no_serious_accessibility_problem(live_server, page, make_user, demo):
    page.set_viewport_size({"width": 360, "height": 800})
    waiting = create_case(CaseStatus.RECEIVED, body=None, theme="corruption", theme_confidence=0.2)
    admin = make_user(Role.ADMIN)
    sign_in(page, live_server, admin)
    awaiting = db.session.scalar(select(Publication).where(Publication.status == PublicationStatus.PUBLISHED))
    any_case = db.session.scalar(select(Case).where(Case.body_id.is_not(None)).limit(1))
    for path in ("/staff/", "/staff/cases", "/staff/cases?queue=all&status=investigating", f"/staff/cases/{waiting.id}",
                 f"/staff/cases/{any_case.id}", "/staff/audit/", f"/staff/audit/cases/{any_case.id}",
                 "/staff/audit/?action=case.", "/account", "/account/password", "/account/two-factor",
                 "/staff/publications", f"/staff/publications/{awaiting.id}", "/staff/outbox/", "/staff/users"):
        page.goto(f"{live_server}{path}")
        for summary in page.locator("main details > summary").all():
            if summary.is_visible():
                summary.click()
        assert_accessible(page, path)

    page.context.clear_cookies()
    sign_in(page, live_server, make_user(Role.TRIAGE))
    page.goto(f"{live_server}/staff/users")  # refused: the 403 page
    assert "Not allowed" in page.locator("h1").inner_text()
    assert_accessible(page, "403")


@pytest.mark.parametrize("width", [360, 1280])
def test_citizen_pages_have_no_serious_accessibility_problem(live_server, page, width):
    """The citizen's journey: the form, the form with its mistakes, the receipt, the follow-up sign-in (and its
    mistake) and the case page."""
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{live_server}/report")
    assert_accessible(page, "/report")
    page.get_by_role("button", name="Send report").click()
    assert "Tell us what happened." in page.get_by_role("alert").inner_text()
    assert_accessible(page, "/report with mistakes")
    page.get_by_label("What happened?").fill("Soldiers at the Bo junction post took my phone and beat my brother.")
    page.get_by_label("I have read the privacy notice").check()
    page.get_by_role("button", name="Send report").click()
    page.wait_for_url(f"{live_server}/report/received")
    code = page.locator("#receipt-code").inner_text().strip()
    assert_accessible(page, "/report/received")
    page.goto(f"{live_server}/track")
    assert_accessible(page, "/track")
    page.get_by_label("Receipt code").fill("1111 2222 3333 4444")
    page.get_by_role("button", name="Follow up").click()
    assert_accessible(page, "/track with a mistake")
    page.get_by_label("Receipt code").fill(code.replace(" ", ""))
    page.get_by_role("button", name="Follow up").click()
    page.wait_for_url(f"{live_server}/track/case")
    assert_accessible(page, "/track/case")


def test_the_check_finds_a_serious_problem_when_there_is_one(page):
    page.set_content('<!doctype html><html lang="en"><title>t</title><main><img src="x.png">'
                     '<input type="text"></main></html>')
    found = {v["id"] for v in serious_violations(page)}
    assert {"image-alt", "label"} <= found
