from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus
from tests.factories import staff_client


def test_answered_case_links_publishers_to_publishing(make_case, make_user, login_as, app):
    case = make_case(CaseStatus.RESPONDED, body="police_oversight")
    investigator = login_as(make_user(Role.INVESTIGATOR, body="police_oversight"))
    html = investigator.get(f"/staff/cases/{case.id}").get_data(as_text=True)
    link = f"/staff/publications/case/{case.id}"
    assert link in html
    assert investigator.get(link).status_code == 200


def test_open_case_and_auditors_get_no_publishing_link(make_case, make_user, app):
    open_case = make_case(CaseStatus.INVESTIGATING, body="police_oversight")
    answered = make_case(CaseStatus.CLOSED, body="police_oversight")
    investigator = staff_client(app, make_user(Role.INVESTIGATOR, body="police_oversight"))
    auditor = staff_client(app, make_user(Role.AUDITOR))
    assert f"/staff/publications/case/{open_case.id}" not in investigator.get(
        f"/staff/cases/{open_case.id}").get_data(as_text=True)
    assert f"/staff/publications/case/{answered.id}" not in auditor.get(
        f"/staff/cases/{answered.id}").get_data(as_text=True)
