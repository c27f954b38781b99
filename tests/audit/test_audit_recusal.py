"""The audit log shows a case's entries only to readers who could open the case itself (recusal included)."""
from __future__ import annotations

from civicwatch.accounts.models import Role
from civicwatch.audit.operations import record_audit
from civicwatch.cases.models import Recusal
from civicwatch.extensions import db
from tests.factories import create_case, staff_client

SECRET = "Witness Fatmata Conteh saw the beating"


def _recused_reader(app, make_user, role: Role):
    case = create_case(body=None, theme=None)
    other = create_case(body=None, theme=None)
    reader = make_user(role)
    record_audit(None, "case.findings", case, after={"findings": SECRET})
    record_audit(None, "case.note", other, after={"length": 12})
    db.session.add(Recusal(case_id=case.id, user_id=reader.id, reason="Related to the complainant"))
    db.session.commit()
    return case, other, reader, staff_client(app, reader)


def test_a_recused_reader_gets_404_on_the_case_audit_log(app, make_user):
    for role in (Role.ADMIN, Role.AUDITOR):
        case, other, _, client = _recused_reader(app, make_user, role)
        assert client.get(f"/staff/audit/cases/{case.id}").status_code == 404
        assert client.get(f"/staff/audit/?reference={case.reference}").status_code == 404
        assert client.get(f"/staff/audit/cases/{other.id}").status_code == 200


def test_the_whole_log_and_user_logs_leave_out_entries_of_cases_the_reader_is_recused_from(app, make_user):
    case, other, reader, client = _recused_reader(app, make_user, Role.AUDITOR)
    investigator = make_user(Role.INVESTIGATOR, body="police_oversight")
    record_audit(investigator, "case.view", case)
    db.session.commit()
    for path in ("/staff/audit/", f"/staff/audit/users/{investigator.id}"):
        page = client.get(path).get_data(as_text=True)
        assert case.reference not in page and f"/staff/audit/cases/{case.id}\"" not in page, path
    assert other.reference in client.get("/staff/audit/").get_data(as_text=True)
