"""A community committee member enters walk-in and phone complaints and does nothing else: the slip is shown
once, right after, to them alone; the case stays closed to them (case page, queues, search, audit, API); every
other staff route refuses them; their account needs a community committee."""
from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from civicwatch.accounts.models import Role, User
from civicwatch.accounts.operations import create_user
from civicwatch.cases.models import Case, CaseAssistance
from civicwatch.errors import DomainError
from civicwatch.extensions import db
from tests.conftest import PASSWORD, body_by_code, csrf_token, csrf_token_from
from tests.factories import staff_client
from tests.foundation.test_staff_routes_anonymous import concrete, staff_rules
from tests.intake.conftest import RECEIPT_RE
from tests.intake.test_intake_assisted import PATH, assisted_form

COMMITTEE = "community_southern"
# What the role may use: the assisted intake form and its slip, and its own account.
OPEN_TO_COMMITTEES = {"assisted.new", "assisted.receipt", "accounts.account", "accounts.change_password",
                      "accounts.account_totp", "accounts.logout", "accounts.login", "accounts.verify_totp",
                      "accounts.enrol_totp"}


@pytest.fixture
def member(make_user):
    return make_user(Role.COMMUNITY, COMMITTEE, name="Aminata Kamara")


@pytest.fixture
def browser(app, member):
    return staff_client(app, member)


def enter_complaint(browser) -> tuple[Case, str]:
    response = browser.post(PATH, data=assisted_form(browser))
    assert response.status_code == 303, response.get_data(as_text=True)[:400]
    slip = browser.get(response.headers["Location"]).get_data(as_text=True)
    return db.session.scalars(select(Case)).one(), RECEIPT_RE.search(slip).group(1)


def test_a_committee_member_starts_at_the_form_and_sees_only_it_in_the_menu(app, member):
    client = app.test_client()
    signed = client.post("/login", data={"csrf_token": csrf_token(client), "email": member.email,
                                         "password": PASSWORD})
    assert signed.headers["Location"] == PATH
    page = client.get(PATH).get_data(as_text=True)
    menu = page.split('aria-label="Main"')[1].split("</nav>")[0]
    assert "/staff/cases" not in menu and "/staff/\"" not in menu and "/account" in menu
    account = client.get("/account").get_data(as_text=True)
    assert "Community" in account and body_by_code(COMMITTEE).name in account


def test_the_member_enters_a_walk_in_complaint_gets_the_slip_once_and_cannot_open_the_case(app, browser, member,
                                                                                          make_user):
    case, code = enter_complaint(browser)
    assistance = db.session.scalars(select(CaseAssistance)).one()
    assert assistance.assisted_by_id == member.id and case.body_id != member.body_id
    again = browser.get("/staff/assisted/receipt")
    assert again.status_code == 410 and code not in again.get_data(as_text=True)
    assert case.reference not in again.get_data(as_text=True)
    for url in (f"/staff/cases/{case.id}", "/staff/cases", f"/staff/cases?q={case.reference}", "/staff/",
                f"/staff/audit/cases/{case.id}", f"/staff/publications/case/{case.id}",
                f"/staff/cases/{case.id}/identity", f"/staff/patterns/shared/cases/{case.id}", "/staff/outbox/"):
        response = browser.get(url)
        assert response.status_code in (403, 404), url
        assert case.reference not in response.get_data(as_text=True), url
    api = browser.get("/open311/v2/requests.json").get_data(as_text=True)
    assert case.reference not in api

    # Those whose role opens the case see who entered it, and for which committee.
    detail = staff_client(app, make_user(Role.TRIAGE)).get(f"/staff/cases/{case.id}").get_data(as_text=True)
    assert (f"Entered by Aminata Kamara of {body_by_code(COMMITTEE).name} on behalf of the complainant"
            in detail)


def test_the_slip_is_not_shown_to_the_next_user_of_the_browser_nor_again_later(app, browser, member, make_user,
                                                                               clock):
    data = assisted_form(browser)
    assert browser.post(PATH, data=data).status_code == 303  # the slip is not opened yet
    browser.post("/logout", data={"csrf_token": csrf_token(browser, PATH)})
    other = make_user(Role.COMMUNITY, "community_eastern")
    browser.post("/login", data={"csrf_token": csrf_token(browser), "email": other.email, "password": PASSWORD})
    slip = browser.get("/staff/assisted/receipt")
    assert slip.status_code == 410 and not RECEIPT_RE.search(slip.get_data(as_text=True))

    # The member sends the same form again later: the case is not stored twice, and no code is shown.
    author = staff_client(app, member)
    clock.advance(minutes=11)
    resent = author.post(PATH, data={**assisted_form(author), "form_key": data["form_key"]})
    page = resent.get_data(as_text=True)
    assert resent.status_code == 200 and "was sent already" in page and not RECEIPT_RE.search(page)
    assert author.get("/staff/assisted/receipt").status_code == 410
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1


def test_there_is_no_slip_by_case_number_and_no_other_way_in(browser, member):
    case, _code = enter_complaint(browser)
    for url in (f"/staff/assisted/{case.id}", f"/staff/assisted/receipt?case={case.id}",
                f"/staff/assisted/receipt/{case.id}"):
        response = browser.get(url)
        assert response.status_code in (404, 410) and case.reference not in response.get_data(as_text=True), url
    # A field the form does not have changes nothing: the complaint is routed, never sent to the member's body.
    browser.post(PATH, data={**assisted_form(browser), "body": str(member.body_id), "body_id": str(member.body_id)})
    assert all(c.body_id != member.body_id for c in db.session.scalars(select(Case)))
    # Nor can the member give themself another role or body.
    made = browser.post("/staff/users", data={"csrf_token": csrf_token(browser, PATH), "email": "x@example.org",
                                              "name": "X", "role": "admin", "body": "", "password": PASSWORD})
    assert made.status_code == 403
    assert db.session.scalar(select(User).where(User.email == "x@example.org")) is None


def test_every_other_staff_route_refuses_a_committee_member(app, browser):
    token = csrf_token(browser, PATH)
    checked = 0
    for rule in staff_rules(app):
        if rule.endpoint in OPEN_TO_COMMITTEES:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = browser.open(concrete(rule.rule), method=method, data={"csrf_token": token})
            assert response.status_code in (403, 404), (rule.rule, method, response.status_code)
            checked += 1
    assert checked > 70


def test_a_committee_member_needs_a_community_committee(app, make_user, login_as):
    for body in (None, body_by_code("police_oversight")):
        with pytest.raises(DomainError, match="community committee"):
            create_user("member@example.org", "M", Role.COMMUNITY, PASSWORD, body=body)
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["civicwatch", "create-user", "--email", "cli@example.org", "--role", "community",
                                  "--body", "human_rights_commission", "--password", PASSWORD])
    assert refused.exit_code != 0 and "community committee" in refused.output
    made = runner.invoke(args=["civicwatch", "create-user", "--email", "cli@example.org", "--role", "community",
                               "--body", COMMITTEE, "--password", PASSWORD])
    assert made.exit_code == 0, made.output

    admin = login_as(make_user(Role.ADMIN))
    page = admin.get("/staff/users").get_data(as_text=True)
    response = admin.post("/staff/users", data={"csrf_token": csrf_token_from(page), "email": "web@example.org",
                                                "name": "W", "role": "community", "body": "", "password": PASSWORD})
    assert response.status_code == 400 and "must belong to a community committee" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "web@example.org")) is None


def test_the_database_refuses_a_committee_member_without_a_body(app):
    with pytest.raises(IntegrityError):
        db.session.execute(insert(User).values(email="raw@example.org", name="R", password_hash="x",
                                               role=Role.COMMUNITY, active=True, session_token="t",
                                               totp_failures=0, identity_custodian=False,
                                               created_at=func.current_timestamp()))
    db.session.rollback()


def test_the_form_and_the_slip_page_speak_french(browser):
    browser.get(f"/language/fr?next={PATH}")
    page = browser.get(PATH).get_data(as_text=True)
    assert "D'abord, lisez ceci au plaignant" in page.replace("&#39;", "'")
    assert "Acceptez-vous que j'envoie votre plainte ?" in page.replace("&#39;", "'")
    refused = browser.post(PATH, data=assisted_form(browser, consent=None)).get_data(as_text=True)
    assert "Sans le consentement du plaignant" in refused
    sent = browser.post(PATH, data=assisted_form(browser))
    assert "Reçu à remettre" in browser.get(sent.headers["Location"]).get_data(as_text=True)
    assert db.session.scalars(select(CaseAssistance)).one().consent_wording.startswith("Je vais écrire votre plainte")
