"""Two custodians decide the same disclosure request at the same moment, each from the queue they loaded while it
was pending: one decision is taken, the other is refused with what happened, and the request, its audit trail and
what the complainant is told agree with the one taken."""
from __future__ import annotations

import threading
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import Case, CaseMessage, MessageKind
from civicwatch.disclosure.models import DisclosureRequest, DisclosureStatus
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage
from tests.conftest import csrf_token
from tests.disclosure.conftest import PHONE, Staff
from tests.disclosure.test_disclosure_operations import ask, only_request
from tests.factories import staff_client
from tests.threads import meeting_at_first, run_together

NAMES = ("first-custodian", "second-custodian")


def _decide_together(app: Flask, staff: Staff, actions: tuple[str, str]) -> dict[str, tuple[int, str]]:
    """Both custodians post their decision at once; each thread's reads are done before either writes."""
    request_id = only_request().id
    posts = []
    for name, custodian, action in zip(NAMES, (staff.custodian, staff.second_custodian), actions, strict=True):
        browser = staff_client(app, custodian)
        posts.append((name, browser, action, csrf_token(browser, "/staff/disclosures")))
    answers: dict[str, tuple[int, str]] = {}

    def decide(name: str, browser: FlaskClient, action: str, token: str) -> None:
        threading.current_thread().name = name
        with app.app_context():
            response: Any = browser.post(f"/staff/disclosures/{request_id}/{action}", data={
                "csrf_token": token, "hours": "4", "note": f"Decided by the {name}."})
        answers[action if actions[0] != actions[1] else name] = (response.status_code, response.get_data(as_text=True))

    with meeting_at_first("UPDATE DISCLOSURE_REQUESTS", set(NAMES), db.engine):
        run_together(decide, posts, timeout=60)
    db.session.expire_all()
    return answers


def _decisions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.action.in_(("disclosure.approve", "disclosure.refuse"))).order_by(AuditEntry.seq)))


def test_an_approval_and_a_refusal_at_once_leave_one_decision_the_one_stored(app, staff, vault_case: Case):
    ask(staff_client(app, staff.investigator), vault_case)

    answers = _decide_together(app, staff, ("approve", "refuse"))

    statuses = sorted(status for status, _ in answers.values())
    assert statuses == [302, 409], statuses
    taken = next(action for action, (status, _) in answers.items() if status == 302)
    refused_page = next(page for status, page in answers.values() if status == 409)
    assert "This request was already" in refused_page
    request = only_request()
    assert _decisions() == [f"disclosure.{taken}"]
    if taken == "approve":
        assert request.status is DisclosureStatus.APPROVED and request.expires_at is not None
        assert request.decision_note == "Decided by the first-custodian."
    else:
        # A refused request holds no grant: the investigator never sees the details.
        assert request.status is DisclosureStatus.REFUSED and request.expires_at is None
        assert request.decision_note == "Decided by the second-custodian."
        page = staff_client(app, staff.investigator).get(f"/staff/cases/{vault_case.id}/identity")
        assert PHONE not in page.get_data(as_text=True)


def test_two_approvals_at_once_tell_the_complainant_once(app, staff, vault_case: Case):
    ask(staff_client(app, staff.investigator), vault_case, scope="outside_body",
        recipient="The prosecutor of Western Area")

    answers = _decide_together(app, staff, ("approve", "approve"))

    statuses = sorted(status for status, _ in answers.values())
    assert statuses == [302, 409], statuses
    assert "This request was already approved" in next(page for status, page in answers.values() if status == 409)
    assert _decisions() == ["disclosure.approve"]
    assert db.session.scalar(select(func.count()).select_from(CaseMessage).where(
        CaseMessage.kind == MessageKind.TO_COMPLAINANT)) == 1
    assert db.session.scalar(select(func.count()).select_from(OutboundMessage).where(
        OutboundMessage.purpose == "disclosure_notice")) == 1
    assert db.session.get(DisclosureRequest, only_request().id).status is DisclosureStatus.APPROVED
