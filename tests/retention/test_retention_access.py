"""Who may see and change retention, performed as attacks over HTTP: staff who are not admins of the case's body
(an investigator of another body, the case's own investigator, triage) cannot lift or place a hold, see or run the
dry run, or change a schedule; and bad input gets a clear 4xx, never a 500."""
from __future__ import annotations

import pytest

from civicwatch.accounts.models import Role, User
from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from civicwatch.retention.models import LegalHold, RetentionSchedule
from civicwatch.retention.permissions import may_manage_body
from tests.conftest import body_by_code, csrf_token
from tests.factories import create_case, staff_client
from tests.retention.conftest import hold, schedule

REASON = "Court order 14/2026 to preserve the evidence"


@pytest.fixture
def held_case(app, clock, staff):
    case = create_case(CaseStatus.CLOSED, "police_oversight", closed_at=clock.now.replace(year=2024))
    hold(case, staff.admin)
    schedule(CaseStatus.CLOSED, 6)
    return case


def active_holds() -> int:
    db.session.expire_all()
    return db.session.query(LegalHold).filter(LegalHold.lifted_at.is_(None)).count()


def test_staff_who_are_not_its_admins_cannot_lift_a_hold_or_see_or_run_the_dry_run(app, staff, held_case):
    for who in ("other_investigator", "investigator", "triage"):
        attack(app, staff, held_case, who)


def attack(app, staff, held_case, who: str) -> None:
    attacker = staff_client(app, getattr(staff, who))
    token = csrf_token(attacker, "/staff/")
    lift = attacker.post(f"/staff/cases/{held_case.id}/legal-hold/lift", data={"hold-csrf_token": token,
                                                                             "hold-reason": "no longer needed"})
    # Another body's investigator does not even learn that the case exists.
    assert lift.status_code == (404 if who == "other_investigator" else 403)
    assert active_holds() == 1
    assert attacker.post(f"/staff/cases/{held_case.id}/legal-hold", data={
        "hold-csrf_token": token, "hold-reason": REASON}).status_code in (403, 404)
    for path in ("/staff/retention", "/staff/retention/dry-run", "/staff/retention/dry-run?body=police_oversight"):
        response = attacker.get(path)
        assert response.status_code == 403, path
        assert held_case.reference not in response.get_data(as_text=True)
    changed = attacker.post("/staff/retention/schedules", data={"csrf_token": token, "body": "police_oversight",
                                                                "status": "closed", "months": "1"})
    assert changed.status_code == 403
    assert db.session.query(RetentionSchedule).count() == 1
    assert f"/staff/cases/{held_case.id}/legal-hold" not in attacker.get(f"/staff/cases/{held_case.id}").get_data(
        as_text=True)


def test_a_body_admin_manages_only_their_body_and_a_deployment_admin_every_body(app):
    police, rights = body_by_code("police_oversight"), body_by_code("human_rights_commission")
    body_admin = User(role=Role.ADMIN, body_id=police.id, active=True)
    deployment_admin = User(role=Role.ADMIN, body_id=None, active=True)
    investigator = User(role=Role.INVESTIGATOR, body_id=police.id, active=True)
    assert may_manage_body(body_admin, police.id) and not may_manage_body(body_admin, rights.id)
    assert not may_manage_body(body_admin, None)  # cases in triage belong to the deployment
    assert may_manage_body(deployment_admin, rights.id) and may_manage_body(deployment_admin, None)
    assert not may_manage_body(investigator, police.id)


def test_the_admin_places_and_lifts_a_hold_sees_the_dry_run_and_edits_schedules(app, staff, held_case):
    admin = staff_client(app, staff.admin)
    token = csrf_token(admin, "/staff/retention")
    dry_run = admin.get("/staff/retention/dry-run").get_data(as_text=True)
    assert held_case.reference in dry_run and "Legal hold" in dry_run and "0 to erase, 1 kept" in dry_run
    assert admin.post(f"/staff/cases/{held_case.id}/legal-hold/lift", data={
        "hold-csrf_token": token, "hold-reason": "Court case closed"}).status_code == 302
    assert active_holds() == 0
    assert "1 to erase, 0 kept" in admin.get("/staff/retention/dry-run?body=police_oversight").get_data(as_text=True)
    assert admin.post(f"/staff/cases/{held_case.id}/legal-hold", data={
        "hold-csrf_token": token, "hold-reason": REASON}).status_code == 302
    assert active_holds() == 1
    assert "Legal hold" in admin.get(f"/staff/cases/{held_case.id}").get_data(as_text=True)
    assert admin.post("/staff/retention/schedules", data={"csrf_token": token, "body": "police_oversight",
                                                          "status": "rejected", "months": "24"}).status_code == 302
    page = admin.get("/staff/retention").get_data(as_text=True)
    assert "24 months" in page and "Police Oversight" in page
    actions = [entry.action for entry in db.session.execute(db.text(
        "SELECT action FROM audit_entries WHERE action LIKE 'retention.%' ORDER BY seq"))]
    assert actions == ["retention.schedule_set", "retention.hold_lifted", "retention.hold_placed",
                       "retention.schedule_set"]


BAD_INPUT = [
    ("/staff/retention/schedules", {"body": "", "status": "closed", "months": "six"}, 400, "whole number"),
    ("/staff/retention/schedules", {"body": "", "status": "closed", "months": "0"}, 400, "between 1 and 1200"),
    ("/staff/retention/schedules", {"body": "", "status": "bogus", "months": "6"}, 400, "Choose a case status"),
    ("/staff/retention/schedules", {"body": "nobody", "status": "closed", "months": "6"}, 404, "no body"),
    ("/staff/retention/schedules/remove", {"body": "", "status": "rejected"}, 404, "no such schedule"),
    ("/staff/cases/{case}/legal-hold", {"hold-reason": "  "}, 400, "Write the reason"),
    ("/staff/cases/{case}/legal-hold", {"hold-reason": REASON}, 409, "already under a legal hold"),
    ("/staff/cases/{case}/legal-hold", {"hold-reason": "x" * 2001}, 400, "too long"),
    ("/staff/cases/999999/legal-hold", {"hold-reason": REASON}, 404, "no case"),
]


def test_bad_input_gets_a_clear_4xx(app, staff, held_case):
    admin = staff_client(app, staff.admin)
    token = csrf_token(admin, "/staff/retention")
    for path, fields, status, message in BAD_INPUT:
        data = {"csrf_token": token, "hold-csrf_token": token, **fields}
        response = admin.post(path.format(case=held_case.id), data=data)
        assert response.status_code == status, (path, fields)
        assert message in response.get_data(as_text=True), (path, fields)


def test_lifting_without_a_hold_and_an_unknown_body_in_the_dry_run_are_4xx(app, staff, held_case):
    admin = staff_client(app, staff.admin)
    token = csrf_token(admin, "/staff/retention")
    lift = {"hold-csrf_token": token, "hold-reason": "done"}
    assert admin.post(f"/staff/cases/{held_case.id}/legal-hold/lift", data=lift).status_code == 302
    second = admin.post(f"/staff/cases/{held_case.id}/legal-hold/lift", data=lift)
    assert second.status_code == 409 and "not under a legal hold" in second.get_data(as_text=True)
    assert admin.get("/staff/retention/dry-run?body=nobody").status_code == 404
    assert admin.post("/staff/retention/schedules", data={"status": "closed", "months": "6"}).status_code == 400
