"""The page that asks an admin to confirm a deactivation says what it does in words that are true: the account can
be reactivated (not "This cannot be undone."), and an account with no open case is not told that "0 open cases"
go back to the queues."""
from __future__ import annotations

from html import unescape

from civicwatch.accounts.models import Role
from tests.factories import create_case, staff_client


def test_the_page_says_the_account_can_be_reactivated(app, make_user):
    auditor = make_user(Role.AUDITOR)
    admin = staff_client(app, make_user(Role.ADMIN))

    page = unescape(admin.get(f"/staff/users/{auditor.id}/active").get_data(as_text=True))

    assert "This cannot be undone." not in page
    assert "can be reactivated later" in page
    assert "0 open cases" not in page and "No open case is assigned to them." in page


def test_with_open_cases_it_still_counts_them(app, make_user):
    investigator = make_user(Role.INVESTIGATOR, body="police_oversight")
    create_case("investigating", body="police_oversight", assigned_to_id=investigator.id)
    admin = staff_client(app, make_user(Role.ADMIN))

    page = unescape(admin.get(f"/staff/users/{investigator.id}/active").get_data(as_text=True))

    assert "1 open case assigned to them goes back" in page


def test_other_confirmations_still_warn_that_they_cannot_be_undone(app, make_user):
    member = make_user(Role.TRIAGE)
    admin = staff_client(app, make_user(Role.ADMIN))

    page = admin.get(f"/staff/users/{member.id}/password-reset").get_data(as_text=True)

    assert "This cannot be undone." in page
