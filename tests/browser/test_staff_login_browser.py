from playwright.sync_api import expect

from civicwatch.accounts.models import Role
from tests.conftest import PASSWORD


def test_staff_signs_in_sees_dashboard_and_signs_out(live_server, page, make_user, screenshot):
    user = make_user(Role.TRIAGE, name="Browser Triage")
    page.goto(f"{live_server}/staff/")
    assert page.url.startswith(f"{live_server}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server}/staff/")
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    expect(page.locator("body")).to_contain_text("Browser Triage")
    screenshot("staff-dashboard")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server}/login")
    expect(page.locator("body")).to_contain_text("You are signed out.")
    page.goto(f"{live_server}/staff/")
    assert page.url.startswith(f"{live_server}/login")


def test_wrong_password_shows_error_summary(live_server, page, make_user):
    user = make_user(Role.ADMIN)
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").is_visible()
    assert "Email or password is not correct." in page.get_by_role("alert").inner_text()
