"""An investigator's account deactivated (a suspension, a long leave) and reactivated: deactivation sends their cases
in progress back to their body's queue; reactivation offers the admin to give back, in one step, those still
waiting there, and each one given back is audited."""
from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from civicwatch.accounts.models import Role, User
from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import Case
from civicwatch.extensions import db
from tests.conftest import csrf_token
from tests.factories import create_case, staff_client


def _set_active(admin: FlaskClient, user: User, active: bool) -> TestResponse:
    return admin.post(f"/staff/users/{user.id}/active", data={
        "csrf_token": csrf_token(admin, "/staff/users"), "active": "1" if active else "0", "confirmed": "yes"})


def _assignee(case: Case) -> int | None:
    db.session.expire_all()
    return db.session.get(Case, case.id).assigned_to_id


def test_reactivation_offers_back_the_cases_still_waiting_and_gives_them_back_audited(app, make_user):
    investigator = make_user(Role.INVESTIGATOR, body="police_oversight")
    colleague = make_user(Role.INVESTIGATOR, body="police_oversight")
    waiting = create_case("investigating", body="police_oversight", assigned_to_id=investigator.id)
    answered = create_case("responded", body="police_oversight", assigned_to_id=investigator.id)
    taken = create_case("acknowledged", body="police_oversight", assigned_to_id=investigator.id)
    never_theirs = create_case("triaged", body="police_oversight")
    admin_user = make_user(Role.ADMIN)
    admin = staff_client(app, admin_user)
    assert _set_active(admin, investigator, False).status_code == 302
    # Meanwhile a colleague takes one of them: it is not offered back.
    db.session.get(Case, taken.id).assigned_to_id = colleague.id
    db.session.commit()

    response = _set_active(admin, investigator, True)

    path = f"/staff/users/{investigator.id}/cases"
    assert response.status_code == 302 and response.headers["Location"].endswith(path)
    page = admin.get(path).get_data(as_text=True)
    assert waiting.reference in page and answered.reference in page
    assert taken.reference not in page and never_theirs.reference not in page
    assert "2 cases" in page

    response = admin.post(path, data={"csrf_token": csrf_token(admin, path),
                                      "cases": [str(waiting.id), str(answered.id)]})

    assert response.status_code == 302
    assert _assignee(waiting) == investigator.id and _assignee(answered) == investigator.id
    assert _assignee(taken) == colleague.id and _assignee(never_theirs) is None
    given = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "case.assign",
                                                        AuditEntry.case_id == waiting.id)
                               .order_by(AuditEntry.seq)).all()
    assert given[-1].user_id == admin_user.id
    assert given[-1].before == {"assigned_to": None} and given[-1].after == {"assigned_to": investigator.id}
    # Nothing is left to give back: the page says so.
    assert "No case" in admin.get(path).get_data(as_text=True)


def test_the_admin_may_leave_some_cases_in_the_queue(app, make_user):
    investigator = make_user(Role.INVESTIGATOR, body="police_oversight")
    first = create_case("investigating", body="police_oversight", assigned_to_id=investigator.id)
    second = create_case("investigating", body="police_oversight", assigned_to_id=investigator.id)
    admin = staff_client(app, make_user(Role.ADMIN))
    _set_active(admin, investigator, False)
    _set_active(admin, investigator, True)
    path = f"/staff/users/{investigator.id}/cases"

    assert admin.post(path, data={"csrf_token": csrf_token(admin, path), "cases": [str(first.id)]}).status_code == 302

    assert _assignee(first) == investigator.id and _assignee(second) is None


def test_a_case_that_was_not_theirs_cannot_be_given_through_the_page(app, make_user):
    investigator = make_user(Role.INVESTIGATOR, body="police_oversight")
    theirs = create_case("investigating", body="police_oversight", assigned_to_id=investigator.id)
    other = create_case("investigating", body="police_oversight")
    admin = staff_client(app, make_user(Role.ADMIN))
    _set_active(admin, investigator, False)
    _set_active(admin, investigator, True)
    path = f"/staff/users/{investigator.id}/cases"

    response = admin.post(path, data={"csrf_token": csrf_token(admin, path), "cases": [str(other.id)]})

    assert response.status_code == 400
    assert 'role="alert"' in response.get_data(as_text=True) or "aria-invalid" in response.get_data(as_text=True)
    assert _assignee(other) is None and _assignee(theirs) is None


def test_reactivation_with_nothing_waiting_goes_back_to_the_accounts(app, make_user):
    investigator = make_user(Role.INVESTIGATOR, body="police_oversight")
    admin = staff_client(app, make_user(Role.ADMIN))
    _set_active(admin, investigator, False)

    response = _set_active(admin, investigator, True)

    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/users")


def test_the_deactivation_page_no_longer_says_the_cases_are_lost_for_good(app, make_user):
    investigator = make_user(Role.INVESTIGATOR, body="police_oversight")
    create_case("investigating", body="police_oversight", assigned_to_id=investigator.id)
    admin = staff_client(app, make_user(Role.ADMIN))

    page = admin.get(f"/staff/users/{investigator.id}/active").get_data(as_text=True)

    assert "stays there if the account is reactivated" not in page
    assert "give it back" in page


def test_the_page_is_for_admins_only(app, make_user):
    investigator = make_user(Role.INVESTIGATOR, body="police_oversight")
    triage = staff_client(app, make_user(Role.TRIAGE))

    assert triage.get(f"/staff/users/{investigator.id}/cases").status_code == 403


def test_the_page_in_french(app, make_user):
    investigator = make_user(Role.INVESTIGATOR, body="police_oversight")
    create_case("investigating", body="police_oversight", assigned_to_id=investigator.id)
    admin = staff_client(app, make_user(Role.ADMIN))
    _set_active(admin, investigator, False)
    _set_active(admin, investigator, True)

    admin.get("/language/fr")
    page = admin.get(f"/staff/users/{investigator.id}/cases").get_data(as_text=True)

    assert "Redonner" in page
