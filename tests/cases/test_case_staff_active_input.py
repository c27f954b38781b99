"""Deactivating or reactivating a staff account takes exactly "0" or "1": a form without it, or with anything else,
is refused and changes nothing; sending again what is already so (a page resubmitted) signs nobody out."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civicwatch.accounts.models import Role, User
from civicwatch.audit.models import AuditEntry
from civicwatch.extensions import db
from tests.conftest import csrf_token


def audit_entries() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action.in_(("user.activate", "user.deactivate")))) or 0


@pytest.mark.parametrize("sent", [{}, {"active": ""}, {"active": "yes"}, {"active": "false"}, {"active": "01"}])
def test_an_account_is_not_deactivated_by_a_form_without_a_clear_choice(make_user, signed_in, sent):
    admin, colleague = signed_in(make_user(Role.ADMIN)), make_user(Role.TRIAGE)
    response = admin.post(f"/staff/users/{colleague.id}/active",
                          data={"csrf_token": csrf_token(admin, "/staff/users"), **sent})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, colleague.id).active is True and audit_entries() == 0


def test_reactivating_an_active_account_again_signs_nobody_out(app, make_user, signed_in):
    admin, colleague = signed_in(make_user(Role.ADMIN)), make_user(Role.TRIAGE)
    colleague_browser = signed_in(colleague)
    response = admin.post(f"/staff/users/{colleague.id}/active",
                          data={"csrf_token": csrf_token(admin, "/staff/users"), "active": "1"})
    assert response.status_code == 302
    assert colleague_browser.get("/staff/").status_code == 200
    assert audit_entries() == 0
