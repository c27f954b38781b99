"""Fixtures for the publishing tests (the statistics and interfaces tests use them too): cases stored directly
with chosen dates, staff browsers side by side, and helpers to publish an answer through the staff pages."""
from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from flask import Flask

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Case, CaseStatus
from civicwatch.database import utcnow
from civicwatch.extensions import db
from tests.conftest import ManualClock, csrf_token_from
from tests.factories import create_case, staff_client

ANSWERED_AFTER = {"acknowledged_at": dt.timedelta(hours=12), "responded_at": dt.timedelta(days=20),
                  "closed_at": dt.timedelta(days=30)}
ANSWER = {"findings": "The investigation found that the officers demanded money.",
          "draft_public_response": "The officers were disciplined."}


@pytest.fixture
def new_case(app: Flask, clock: ManualClock):
    """A case in any status, received at `created_at` (40 days before the clock's time by default), with
    timestamps that fit its status and, once answered, findings and a public response."""
    counter = itertools.count(1)

    def factory(status: CaseStatus | str = CaseStatus.RECEIVED, body: str | None = "police_oversight",
                created_at: dt.datetime | None = None, text: str | None = None, **options) -> Case:
        return create_case(
            status, body, created_at=created_at or utcnow() - dt.timedelta(days=40),
            text=text or f"Officers at the checkpoint took money from drivers, report {next(counter)}.",
            stamped_after=ANSWERED_AFTER, answered_with=ANSWER, **options)

    return factory


@pytest.fixture
def browser_for(app: Flask):
    return lambda user: staff_client(app, user)


def publication_form(html: str) -> dict[str, str]:
    """The fields of the draft form as the page renders them (textareas, hidden fields, proposals)."""
    data: dict[str, str] = {"csrf_token": csrf_token_from(html)}
    for name, value in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>\n?(.*?)</textarea>', html, re.S):
        data[name] = _unescape(value)
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name.group(1) == "csrf_token":
            continue
        if 'type="submit"' in tag:
            continue
        if 'type="checkbox"' in tag:
            if " checked" in tag:
                data[name.group(1)] = "1"
            continue
        value = re.search(r'value="([^"]*)"', tag)
        data[name.group(1)] = _unescape(value.group(1)) if value else ""
    return data


def _unescape(value: str) -> str:
    import html

    return html.unescape(value)


@pytest.fixture
def publish(app: Flask, make_user, browser_for):
    """Publish the answer of an answered case through the staff pages: one investigator drafts and submits,
    another approves. Returns (author, approver) browsers."""
    def run(case: Case, changes: dict[str, str] | None = None, body: str = "police_oversight"):
        author = browser_for(make_user(Role.INVESTIGATOR, body=body))
        approver = browser_for(make_user(Role.INVESTIGATOR, body=body))
        page = author.get(f"/staff/publications/case/{case.id}")
        start = author.post(f"/staff/publications/case/{case.id}/start",
                            data={"csrf_token": csrf_token_from(page.get_data(as_text=True))})
        assert start.status_code == 302, start.get_data(as_text=True)[:500]
        draft_url = start.headers["Location"]
        form = publication_form(author.get(draft_url).get_data(as_text=True))
        form.update(changes or {})
        form["submit_for_approval"] = "Submit for approval"
        submitted = author.post(draft_url, data=form)
        assert submitted.status_code == 302, submitted.get_data(as_text=True)[:2000]
        review = approver.get(draft_url).get_data(as_text=True)
        approved = approver.post(draft_url + "/review", data={
            "csrf_token": csrf_token_from(review), "row_version": re.search(
                r'name="row_version" type="hidden" value="(\d+)"', review).group(1),
            "confirm": "y", "approve": "Approve and publish"})
        assert approved.status_code == 302, approved.get_data(as_text=True)[:1000]
        return author, approver

    return run


@pytest.fixture
def two_published(new_case, publish) -> list[str]:
    """The references of two answers published by the police oversight body, one of corruption, one of misconduct;
    the test's own session closed, so that it holds no connection (the pool's count is then the requests')."""
    references = []
    for theme in ("corruption", "misconduct"):
        case = new_case(CaseStatus.CLOSED, theme=theme)
        publish(case)
        references.append(case.reference)
    db.session.close()
    return references
