"""An admin changes a staff member's role or body (a transfer, a promotion): the account's sessions end, the cases
it can no longer work are released to their body's queue, and the change is audited without names."""
from __future__ import annotations

import threading
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from civicwatch.accounts.models import Role, User
from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import Case, CaseEvent
from civicwatch.extensions import db
from tests.conftest import csrf_token
from tests.factories import create_case, staff_client
from tests.threads import meeting_at_first, run_together


def _move(client: FlaskClient, user: User, role: str, body: str = "") -> Any:
    path = f"/staff/users/{user.id}/role"
    return client.post(path, data={"csrf_token": csrf_token(client, path), "role": role, "body": body})


def _fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_an_investigator_moved_to_another_body_leaves_their_open_cases_to_the_old_body(app, make_user):
    mover = make_user(Role.INVESTIGATOR, body="police_oversight")
    colleague = make_user(Role.INVESTIGATOR, body="police_oversight")
    open_case = create_case("investigating", body="police_oversight", assigned_to_id=mover.id)
    answered = create_case("responded", body="police_oversight", assigned_to_id=mover.id)
    closed = create_case("closed", body="police_oversight", assigned_to_id=mover.id)
    theirs = create_case("investigating", body="police_oversight", assigned_to_id=colleague.id)
    new_body_case = create_case("triaged", body="anti_corruption_commission")
    mover_browser = staff_client(app, mover)
    assert mover_browser.get(f"/staff/cases/{open_case.id}").status_code == 200
    admin = staff_client(app, make_user(Role.ADMIN))

    response = _move(admin, mover, "investigator", "anti_corruption_commission")

    assert response.status_code == 302
    moved = _fresh(mover)
    assert moved.role is Role.INVESTIGATOR and moved.body.code == "anti_corruption_commission"
    # Work still to do goes back to the old body's queue; a closed case keeps who handled it.
    assert db.session.get(Case, open_case.id).assigned_to_id is None
    assert db.session.get(Case, answered.id).assigned_to_id is None
    assert db.session.get(Case, closed.id).assigned_to_id == mover.id
    assert db.session.get(Case, theirs.id).assigned_to_id == colleague.id
    released = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == open_case.id,
                                                          CaseEvent.kind == "assigned")).all()
    assert [event.detail for event in released] == [{"assignee": None}]
    # Every session of the moved account ends: the old cookie opens nothing.
    assert mover_browser.get(f"/staff/cases/{open_case.id}").status_code == 302
    again = staff_client(app, moved)
    assert again.get(f"/staff/cases/{open_case.id}").status_code == 404
    assert again.get(f"/staff/cases/{new_body_case.id}").status_code == 200
    page = admin.get(f"/staff/cases/{open_case.id}").get_data(as_text=True)
    assert "Unassigned" in page


def test_the_move_is_audited_with_codes_and_no_names(app, make_user):
    mover = make_user(Role.INVESTIGATOR, body="police_oversight", name="Aminata Sesay-Example")
    case = create_case("acknowledged", body="police_oversight", assigned_to_id=mover.id)
    admin_user = make_user(Role.ADMIN)
    admin = staff_client(app, admin_user)

    assert _move(admin, mover, "triage").status_code == 302

    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.role",
                                                       AuditEntry.object_id == str(mover.id)))
    assert entry is not None and entry.user_id == admin_user.id
    assert entry.before == {"role": "investigator", "body": "police_oversight"}
    assert entry.after == {"role": "triage", "body": None}
    release = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "case.assign",
                                                         AuditEntry.case_id == case.id))
    assert release is not None
    assert release.before == {"assigned_to": mover.id} and release.after == {"assigned_to": None}
    everything = " ".join(str(row.before) + str(row.after) for row in db.session.scalars(select(AuditEntry)))
    assert "Aminata" not in everything and mover.email not in everything
    assert _fresh(mover).body is None
    assert db.session.get(Case, case.id).assigned_to_id is None


def test_the_form_shows_the_current_role_and_says_what_a_move_does(app, make_user):
    mover = make_user(Role.INVESTIGATOR, body="police_oversight")
    admin = staff_client(app, make_user(Role.ADMIN))
    users_page = admin.get("/staff/users").get_data(as_text=True)
    assert f"/staff/users/{mover.id}/role" in users_page

    page = admin.get(f"/staff/users/{mover.id}/role")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<option selected value="investigator">' in html
    assert '<option selected value="police_oversight">' in html
    assert "signed out" in html and "queue" in html


def test_bad_moves_are_refused_with_the_reason_and_nothing_changes(app, make_user):
    mover = make_user(Role.INVESTIGATOR, body="police_oversight")
    case = create_case("investigating", body="police_oversight", assigned_to_id=mover.id)
    admin = staff_client(app, make_user(Role.ADMIN))
    for role, body, said in [
        ("investigator", "", "must belong to an oversight body"),
        ("community", "police_oversight", "must belong to a community committee"),
        ("emperor", "", "Choose from the options listed"),
        ("investigator", "no_such_body", "Choose from the options listed"),
    ]:
        response = _move(admin, mover, role, body)
        assert response.status_code == 400, (role, body)
        assert said in response.get_data(as_text=True), (role, body)
    moved = _fresh(mover)
    assert moved.role is Role.INVESTIGATOR and moved.body.code == "police_oversight"
    assert db.session.get(Case, case.id).assigned_to_id == mover.id
    assert admin.post(f"/staff/users/{mover.id}/role", data={"role": "triage"}).status_code == 400  # no CSRF token
    assert _move(admin, User(id=987_654), "triage").status_code == 404
    assert admin.get("/staff/users/987654/role").status_code == 404
    assert _fresh(mover).role is Role.INVESTIGATOR


def test_a_move_that_changes_nothing_is_not_recorded(app, make_user):
    mover = make_user(Role.INVESTIGATOR, body="police_oversight")
    case = create_case("investigating", body="police_oversight", assigned_to_id=mover.id)
    mover_browser = staff_client(app, mover)
    admin = staff_client(app, make_user(Role.ADMIN))

    response = _move(admin, mover, "investigator", "police_oversight")

    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "user.role")) == 0
    assert db.session.get(Case, case.id).assigned_to_id == mover.id
    assert mover_browser.get(f"/staff/cases/{case.id}").status_code == 200


def test_only_admins_move_staff_and_never_themselves(app, make_user):
    mover = make_user(Role.TRIAGE)
    for role in (Role.TRIAGE, Role.AUDITOR, Role.INVESTIGATOR):
        browser = staff_client(app, make_user(role))
        assert browser.get(f"/staff/users/{mover.id}/role").status_code == 403
        token = csrf_token(browser, "/staff/")
        assert browser.post(f"/staff/users/{mover.id}/role",
                            data={"csrf_token": token, "role": "admin"}).status_code == 403
    assert _fresh(mover).role is Role.TRIAGE
    admin_user = make_user(Role.ADMIN)
    make_user(Role.ADMIN)
    admin = staff_client(app, admin_user)
    response = _move(admin, admin_user, "auditor")
    assert response.status_code == 400
    assert "your own role" in response.get_data(as_text=True)
    assert _fresh(admin_user).role is Role.ADMIN
    assert f"/staff/users/{admin_user.id}/role" not in admin.get("/staff/users").get_data(as_text=True)


def test_a_community_member_can_be_moved_to_another_committee_and_not_to_an_oversight_body(app, make_user):
    member = make_user(Role.COMMUNITY, body="community_southern")
    admin = staff_client(app, make_user(Role.ADMIN))
    assert 'value="community_eastern"' in admin.get(f"/staff/users/{member.id}/role").get_data(as_text=True)

    assert _move(admin, member, "community", "community_eastern").status_code == 302
    assert _fresh(member).body.code == "community_eastern"


def test_two_admins_taking_the_admin_role_from_each_other_at_once_leave_one_admin(app: Flask, make_user):
    first, second = make_user(Role.ADMIN), make_user(Role.ADMIN)
    requests = []
    for actor, target in ((first, second), (second, first)):
        client = staff_client(app, actor)
        requests.append((client, target.id, csrf_token(client, f"/staff/users/{target.id}/role")))
    answers: dict[int, Any] = {}

    def demote(client: FlaskClient, target_id: int, token: str) -> None:
        threading.current_thread().name = "first-admin" if target_id == second.id else "second-admin"
        with app.app_context():
            response = client.post(f"/staff/users/{target_id}/role",
                                   data={"csrf_token": token, "role": "auditor", "body": ""})
        answers[target_id] = (response.status_code, response.get_data(as_text=True))

    with meeting_at_first("UPDATE USERS", {"first-admin", "second-admin"}, db.engine):
        run_together(demote, requests, timeout=60)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(User.role == Role.ADMIN, User.active)) == 1
    statuses = sorted(status for status, _ in answers.values())
    assert statuses == [302, 409], statuses
    refused = next(page for status, page in answers.values() if status == 409)
    assert "the last active admin" in refused


def test_a_deactivated_investigators_open_cases_go_back_to_the_queue(app, make_user):
    leaver = make_user(Role.INVESTIGATOR, body="police_oversight")
    open_case = create_case("reopened", body="police_oversight", assigned_to_id=leaver.id)
    closed = create_case("closed", body="police_oversight", assigned_to_id=leaver.id)
    admin = staff_client(app, make_user(Role.ADMIN))

    response = admin.post(f"/staff/users/{leaver.id}/active",
                          data={"csrf_token": csrf_token(admin, "/staff/users"), "active": "0", "confirmed": "yes"})

    assert response.status_code == 302
    assert _fresh(leaver).active is False
    assert db.session.get(Case, open_case.id).assigned_to_id is None
    assert db.session.get(Case, closed.id).assigned_to_id == leaver.id
    assert "1 open case" in admin.get("/staff/users").get_data(as_text=True)
    # Reactivated, the account finds the queue as it is: nothing is given back by itself.
    admin.post(f"/staff/users/{leaver.id}/active",
               data={"csrf_token": csrf_token(admin, "/staff/users"), "active": "1"})
    assert _fresh(leaver).active is True
    assert db.session.get(Case, open_case.id).assigned_to_id is None
