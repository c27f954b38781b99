"""The same investigator sends the same disclosure request twice at the same moment (a double click, two tabs):
each request reads the case before either is written. One request is stored, with one audit entry; the other is
told one is already pending."""
from __future__ import annotations

import threading
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import Case
from civicwatch.disclosure.models import DisclosureRequest
from civicwatch.extensions import db
from tests.conftest import csrf_token
from tests.disclosure.test_disclosure_operations import REASON
from tests.factories import staff_client
from tests.threads import meeting_at_first_write, run_together

TABS = ("first-tab", "second-tab")


def test_the_same_request_sent_twice_at_once_is_stored_once(app: Flask, staff, vault_case: Case):
    page = f"/staff/cases/{vault_case.id}/identity"
    browsers = [staff_client(app, staff.investigator) for _ in TABS]
    posts = [(name, browser, csrf_token(browser, page)) for name, browser in zip(TABS, browsers, strict=True)]
    answers: dict[str, tuple[int, str]] = {}

    def send(name: str, browser: FlaskClient, token: str) -> None:
        threading.current_thread().name = name
        with app.app_context():
            response: Any = browser.post(f"{page}/requests", data={
                "csrf_token": token, "scope": "within_body", "reason": REASON, "recipient": ""})
        answers[name] = (response.status_code, response.get_data(as_text=True))

    with meeting_at_first_write(set(TABS), db.engine):
        run_together(send, posts, timeout=60)
    db.session.expire_all()

    assert sorted(status for status, _ in answers.values()) == [302, 409], answers
    refused = next(text for status, text in answers.values() if status == 409)
    assert "You already have a request for this case that is pending or approved." in refused
    assert db.session.scalar(select(func.count()).select_from(DisclosureRequest)) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "disclosure.request")) == 1
