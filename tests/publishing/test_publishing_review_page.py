"""The reviewer's page: a mistake in the review form is shown on the page beside the form, and the four-eyes
note speaks only to the author."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from civicwatch.publishing.models import Publication, PublicationStatus
from tests.publishing.conftest import publication_form
from tests.publishing.test_publishing_workflow import review, start_draft, withdraw

AUTHOR_NOTE = "another staff member must approve it"


@pytest.fixture
def submitted(new_case, make_user, browser_for):
    """(author browser, url) of an answer waiting for approval."""
    author = browser_for(make_user(Role.INVESTIGATOR))
    url = start_draft(author, new_case(CaseStatus.RESPONDED))
    form = publication_form(author.get(url).get_data(as_text=True))
    form["submit_for_approval"] = "Submit for approval"
    assert author.post(url, data=form).status_code == 302
    return author, url


def test_approving_without_the_box_shows_the_reason_on_the_review_page(submitted, make_user, browser_for):
    _, url = submitted
    approver = browser_for(make_user(Role.INVESTIGATOR))
    response = review(approver, url, approve="Approve and publish")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="review-title"' in html  # the review page itself, not an error page
    assert "There is a problem" in html
    assert 'class="error" id="confirm-error">Confirm that you read the published text' in html
    assert 'aria-invalid="true"' in html
    assert db.session.scalar(select(Publication)).status is PublicationStatus.AWAITING_APPROVAL


def test_sending_back_without_a_note_shows_the_reason_beside_the_note(submitted, make_user, browser_for):
    _, url = submitted
    approver = browser_for(make_user(Role.INVESTIGATOR))
    response = review(approver, url, send_back="Send back to the author")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="review-title"' in html
    assert "Tell the author what to change." in html


def test_only_the_author_reads_that_they_cannot_approve_their_own_answer(submitted, make_user, browser_for):
    author, _ = submitted
    colleague = browser_for(make_user(Role.INVESTIGATOR))
    assert AUTHOR_NOTE in author.get("/staff/publications").get_data(as_text=True)
    colleague_page = colleague.get("/staff/publications").get_data(as_text=True)
    assert "Waiting for approval" in colleague_page and "version 1" in colleague_page
    assert AUTHOR_NOTE not in colleague_page and "wrote yourself" not in colleague_page


@pytest.mark.parametrize("reason, message", [
    ("", "Give the reason the public will read."),
    ("The answer was wrong. " * 60, "1000"),
    ("Withdrawn at the request of Sgt. Bangura.", "The reason is published as written and must identify no one."),
], ids=["empty", "too long", "identifying"])
def test_a_refused_withdrawal_shows_why_beside_the_reason_and_keeps_it(new_case, publish, make_user, browser_for,
                                                                         reason, message):
    publish(new_case(CaseStatus.RESPONDED))
    publication = db.session.scalar(select(Publication))
    response = withdraw(browser_for(make_user(Role.ADMIN)), publication, reason)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="withdraw-title"' in html  # the answer's page itself, not an error page
    assert re.search(r'class="error"[^>]*>[^<]*' + re.escape(message), html)
    assert reason.strip()[:40] in html
    assert db.session.scalar(select(Publication)).status is PublicationStatus.PUBLISHED
