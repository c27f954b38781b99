"""Fixtures for the publishing tests (the statistics and interfaces tests use them too): cases stored directly
with chosen dates, staff browsers side by side, and helpers to publish an answer through the staff pages."""
from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from civicwatch.accounts.models import Role
from civicwatch.cases.deadlines import set_deadlines
from civicwatch.cases.models import Case, CaseEvent, CaseStatus, Channel, Outcome
from civicwatch.cases.references import format_reference, new_receipt_code, receipt_hash, temporary_reference
from civicwatch.crypto import encrypt_json, keyed_hash
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body, Region, Theme
from tests.conftest import PASSWORD, csrf_token, csrf_token_from

TIMESTAMPS = {
    CaseStatus.ACKNOWLEDGED: ("acknowledged_at",),
    CaseStatus.INVESTIGATING: ("acknowledged_at",),
    CaseStatus.RESPONDED: ("acknowledged_at", "responded_at"),
    CaseStatus.CLOSED: ("acknowledged_at", "responded_at", "closed_at"),
    CaseStatus.REOPENED: ("acknowledged_at",),
    CaseStatus.REJECTED: ("closed_at",),
    CaseStatus.REFERRED: ("closed_at",),
    CaseStatus.WITHDRAWN: ("closed_at",),
}
OFFSETS = {"acknowledged_at": dt.timedelta(hours=12), "responded_at": dt.timedelta(days=20),
           "closed_at": dt.timedelta(days=30)}


@pytest.fixture
def new_case(app: Flask):
    """A case in any status, received at `created_at`, with timestamps that fit its status."""
    counter = itertools.count(1)

    def factory(status: CaseStatus | str = CaseStatus.RECEIVED, body: str | None = "police_oversight",
                theme: str | None = "misconduct", region: str | None = None, created_at: dt.datetime | None = None,
                contact: dict | None = None, text: str | None = None, **fields) -> Case:
        status = CaseStatus(status)
        created = created_at or utcnow() - dt.timedelta(days=40)
        body_row = db.session.query(Body).filter_by(code=body).one() if body else None
        case = Case(
            reference=temporary_reference(), receipt_hash=receipt_hash(new_receipt_code()),
            text=text or f"Officers at the checkpoint took money from drivers, report {next(counter)}.",
            channel=Channel.WEB, status=status, urgent=False, body=body_row, created_at=created,
            theme=db.session.query(Theme).filter_by(code=theme).one() if theme else None,
            region=db.session.query(Region).filter_by(code=region).one() if region else None,
            theme_confidence=0.9 if theme else None, routed_by_hand=False,
        )
        if contact:
            case.contact_encrypted = encrypt_json(contact)
            if contact.get("phone"):
                case.contact_phone_hash = keyed_hash("phone", contact["phone"])
        set_deadlines(case, body_row, created)
        for name in TIMESTAMPS.get(status, ()):
            setattr(case, name, created + OFFSETS[name])
        if status in (CaseStatus.RESPONDED, CaseStatus.CLOSED):
            case.outcome = Outcome.SUBSTANTIATED
            case.findings = "The investigation found that the officers demanded money."
            case.draft_public_response = "The officers were disciplined."
        for name, value in fields.items():
            setattr(case, name, value)
        db.session.add(case)
        db.session.flush()
        case.reference = format_reference(created.year, case.id)
        db.session.add(CaseEvent(case=case, kind="received", to_status="received", public=True, created_at=created))
        db.session.commit()
        return case

    return factory


def staff_client(app: Flask, user) -> FlaskClient:
    """A separate signed-in browser for `user`, so that two staff members can act side by side."""
    client = app.test_client()
    response = client.post("/login", data={"csrf_token": csrf_token(client), "email": user.email,
                                           "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


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
