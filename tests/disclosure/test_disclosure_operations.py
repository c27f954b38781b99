"""Disclosure requests: a reason, four eyes, a time limit, and the complainant told before their details leave
the body unless a custodian records the law that forbids it."""
from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import select

from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import CaseMessage, CaseStatus, MessageKind
from civicwatch.disclosure.models import DisclosureRequest, DisclosureScope, DisclosureStatus
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage
from tests.conftest import csrf_token
from tests.disclosure.conftest import PHONE, REASON
from tests.factories import create_case, staff_client


def ask(browser, case, scope="within_body", reason=REASON, recipient=""):
    return browser.post(f"/staff/cases/{case.id}/identity/requests", data={
        "csrf_token": csrf_token(browser, f"/staff/cases/{case.id}/identity"), "scope": scope, "reason": reason,
        "recipient": recipient})


def decide(browser, request_id, action="approve", **fields):
    data = {"csrf_token": csrf_token(browser, "/staff/disclosures"), "hours": "4", **fields}
    return browser.post(f"/staff/disclosures/{request_id}/{action}", data=data)


def only_request() -> DisclosureRequest:
    return db.session.scalars(select(DisclosureRequest)).one()


def test_four_eyes_a_custodian_cannot_approve_their_own_request(app, staff, vault_case):
    own = staff_client(app, staff.second_custodian)  # an admin who is also a custodian
    assert ask(own, vault_case).status_code == 302
    request = only_request()
    assert decide(own, request.id).status_code == 403
    assert staff_client(app, staff.triage).post(  # not a custodian at all
        f"/staff/disclosures/{request.id}/approve", data={"hours": "4"}).status_code in (400, 403)
    assert only_request().status is DisclosureStatus.PENDING
    assert PHONE not in own.get(f"/staff/cases/{vault_case.id}/identity").get_data(as_text=True)

    assert decide(staff_client(app, staff.custodian), request.id).status_code == 302
    assert PHONE in own.get(f"/staff/cases/{vault_case.id}/identity").get_data(as_text=True)


def test_a_grant_runs_for_the_hours_given_then_the_details_are_masked_again(app, staff, vault_case, clock):
    browser = staff_client(app, staff.investigator)
    ask(browser, vault_case)
    decide(staff_client(app, staff.custodian), only_request().id, hours="2")
    clock.advance(hours=1, minutes=59)  # past the staff idle limit: sign in again
    browser = staff_client(app, staff.investigator)
    assert PHONE in browser.get(f"/staff/cases/{vault_case.id}/identity").get_data(as_text=True)
    clock.advance(minutes=1)
    page = browser.get(f"/staff/cases/{vault_case.id}/identity").get_data(as_text=True)
    assert PHONE not in page and "+232 ••• ••23" in page and "Expired" in page


@pytest.mark.parametrize("reason, hours, status", [("need it", "4", 400), (REASON, "0", 400), (REASON, "73", 400)])
def test_a_request_needs_a_reason_and_a_grant_a_bounded_time(app, staff, vault_case, reason, hours, status):
    browser = staff_client(app, staff.investigator)
    response = ask(browser, vault_case, reason=reason)
    if reason != REASON:
        assert response.status_code == status
        return
    assert decide(staff_client(app, staff.custodian), only_request().id, hours=hours).status_code == status


def test_outside_the_body_the_complainant_is_told_first(app, staff, vault_case):
    browser = staff_client(app, staff.investigator)
    assert ask(browser, vault_case, scope="outside_body").status_code == 400  # names no recipient
    ask(browser, vault_case, scope="outside_body", recipient="The prosecutor of Western Area")
    decide(staff_client(app, staff.custodian), only_request().id)
    request = only_request()
    assert request.complainant_told_at is not None and request.legal_bar is None
    notice = db.session.scalars(select(CaseMessage).where(CaseMessage.kind == MessageKind.TO_COMPLAINANT)).one()
    assert "share your name and contact details" in notice.body
    sms = db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "disclosure_notice")).one()
    assert sms.case_id == vault_case.id


def test_a_recorded_legal_bar_withholds_the_notice(app, staff, vault_case):
    browser = staff_client(app, staff.investigator)
    ask(browser, vault_case, scope="outside_body", recipient="The prosecutor of Western Area")
    decide(staff_client(app, staff.custodian), only_request().id,
           legal_bar="Court order 12/2026 forbids telling the complainant before the arrest.")
    request = only_request()
    assert request.complainant_told_at is None and request.legal_bar.startswith("Court order")
    assert db.session.scalars(select(CaseMessage).where(CaseMessage.kind == MessageKind.TO_COMPLAINANT)).all() == []
    approval = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "disclosure.approve")).one()
    assert approval.after["complainant_told"] is False and "Court order" not in str(approval.after)


def test_an_anonymous_complaint_has_nothing_to_disclose(app, staff):
    case = create_case(CaseStatus.INVESTIGATING)
    assert ask(staff_client(app, staff.investigator), case).status_code == 400


def test_auditors_and_other_bodies_cannot_ask(app, staff, vault_case):
    assert ask(staff_client(app, staff.auditor), vault_case).status_code == 403
    assert ask(staff_client(app, staff.other_investigator), vault_case).status_code == 404
    assert db.session.scalars(select(DisclosureRequest)).all() == []
    assert DisclosureScope.WITHIN_BODY  # the scopes the form offers


def test_the_custodian_duty_is_given_and_taken_on_the_command_line_and_audited(app, staff):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["civicwatch", "identity-custodian", "--email", staff.triage.email])
    assert result.exit_code == 0, result.output
    assert db.session.get(type(staff.triage), staff.triage.id).identity_custodian is True
    runner.invoke(args=["civicwatch", "identity-custodian", "--email", staff.triage.email, "--revoke"])
    assert db.session.get(type(staff.triage), staff.triage.id).identity_custodian is False
    changes = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.identity_custodian")).all()
    assert [entry.after["identity_custodian"] for entry in changes] == [True, False]


def test_a_missing_or_short_reason_is_refused_in_the_readers_language(app, staff, vault_case):
    french = staff_client(app, staff.investigator)
    french.get("/language/fr")
    missing = ask(french, vault_case, reason="\x01")  # passes the form, nothing left once cleaned
    assert missing.status_code == 400 and "Indiquez d'abord le motif." in unescape(missing.get_data(as_text=True))
    short = unescape(ask(french, vault_case, reason="Pour appeler.").get_data(as_text=True))
    assert "Donnez le motif en une phrase au moins (au moins 20 caractères)." in short and "Give the" not in short

    english = unescape(ask(staff_client(app, staff.investigator), vault_case, reason="To call.").get_data(as_text=True))
    assert "Give the reason in a sentence or more (at least 20 characters)." in english
    assert db.session.scalars(select(DisclosureRequest)).all() == []
