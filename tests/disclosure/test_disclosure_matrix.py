"""The identity vault's matrix: every staff role, on every route that shows a case or data about cases, in
every state of a disclosure grant. The complainant's phone and email appear in exactly one place: the identity
page of someone holding a running, approved grant for a case they can still open. Never in a report, an export,
a search result, the audit log or a log line."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import User
from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import Case
from civicwatch.disclosure.models import DisclosureScope
from civicwatch.disclosure.operations import approve_disclosure, refuse_disclosure, request_disclosure
from civicwatch.extensions import db
from civicwatch.routing.operations import route_case
from civicwatch.taxonomy.models import Body
from tests.disclosure.conftest import EMAIL, PHONE, PHONE_DIGITS, REASON
from tests.factories import staff_client

# Every case signs several staff in: argon2 at its lowest cost (what is tested here is not the password).

STATES = ("none", "pending", "approved", "expired", "refused", "other_body")
ASKING = ("admin", "triage", "investigator")
# Roles that cannot ask see the same in every state: checked with every grant running, where most is exposed.
CANNOT_ASK = ("other_investigator", "auditor")


PUBLIC_ROUTES = ("/transparency", "/transparency/statistics.csv", "/transparency/statistics.json",
                 "/published/answers.csv", "/published/answers.json")


def routes(case: Case) -> list[str]:
    return [
        f"/staff/cases/{case.id}", f"/staff/cases/{case.id}/identity", "/staff/cases",
        f"/staff/cases?q={PHONE_DIGITS}", "/staff/cases?q=fatmata", "/staff/", "/staff/disclosures",
        "/staff/audit/", f"/staff/audit/cases/{case.id}", f"/staff/publications/case/{case.id}",
    ]


def put_in_state(state: str, case: Case, requester: User, custodian: User, clock) -> None:
    if state == "none":
        return
    request = request_disclosure(case, requester, DisclosureScope.WITHIN_BODY, REASON)
    if state in ("refused",):
        refuse_disclosure(request, custodian, "Not needed to take a statement.")
    elif state in ("approved", "expired", "other_body"):
        approve_disclosure(request, custodian, hours=4)
    db.session.commit()


def shows_identity(html: str) -> bool:
    digits = "".join(ch for ch in html if ch.isdigit())
    return PHONE_DIGITS in digits or EMAIL in html or "fatmata" in html.lower()


@pytest.mark.parametrize("state", STATES)
def test_identity_is_shown_only_under_a_running_grant(app, staff, vault_case, clock, caplog, state):
    caplog.set_level(logging.DEBUG)
    for name in ASKING:
        put_in_state(state, vault_case, getattr(staff, name), staff.custodian, clock)
    if state == "expired":
        clock.advance(hours=4, seconds=1)
    if state == "other_body":  # the grants stay, the case goes to another body
        elsewhere = db.session.scalar(select(Body).where(Body.code == "human_rights_commission"))
        route_case(vault_case, staff.admin, elsewhere, "It concerns a rights violation, not police conduct.")
        db.session.commit()
    for name in ASKING + ("custodian",) + (CANNOT_ASK if state == "approved" else ()):
        browser = staff_client(app, getattr(staff, name))
        for path in routes(vault_case):
            response = browser.get(path)
            assert response.status_code < 500, (name, path)
            # A search page repeats what was typed; what matters is that it finds nothing by it.
            typed = path.partition("?q=")[2]
            html = response.get_data(as_text=True).replace(typed, "") if typed else response.get_data(as_text=True)
            visible = shows_identity(html)
            assert not (typed and vault_case.reference in html), (name, path)
            expected = path.endswith("/identity") and name in ASKING and (
                state == "approved" or (state == "other_body" and name != "investigator"))
            assert visible is expected, (state, name, path, response.status_code)
    for path in PUBLIC_ROUTES:  # the same for everyone
        response = app.test_client().get(path)
        assert response.status_code == 200 and not shows_identity(response.get_data(as_text=True)), path
    assert not any(shows_identity(record.getMessage()) for record in caplog.records)
    for entry in db.session.scalars(select(AuditEntry)):
        assert not shows_identity(f"{entry.before} {entry.after}"), entry.action
        assert REASON not in f"{entry.before} {entry.after}"


def test_every_look_is_audited_by_grant_without_the_identity(app, staff, vault_case, clock):
    put_in_state("approved", vault_case, staff.investigator, staff.custodian, clock)
    browser = staff_client(app, staff.investigator)
    for _ in range(3):
        assert PHONE in browser.get(f"/staff/cases/{vault_case.id}/identity").get_data(as_text=True)
    views = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "identity.view")))
    assert len(views) == 3
    assert {entry.user_id for entry in views} == {staff.investigator.id}
    assert all(entry.object_type == "disclosure_requests" and entry.case_id == vault_case.id for entry in views)
