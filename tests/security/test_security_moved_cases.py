"""A case that moves to another body (a complainant's appeal, staff sending it on) leaves nothing of itself with the
old body and brings nothing of the old body's with it: the old body's dashboard stops counting it, and the new
body does not read the old body's register through the case's allegations."""
from __future__ import annotations

import re

from civicwatch.accounts.models import Role
from civicwatch.cases.counts import count_discrepancies
from civicwatch.cases.models import CaseStatus
from civicwatch.cases.references import new_receipt_code, receipt_hash
from civicwatch.extensions import db
from civicwatch.patterns.models import Allegation, Subject, SubjectKind
from tests.cases.conftest import post_case_form
from tests.conftest import body_by_code, csrf_token, csrf_token_from
from tests.factories import create_case, staff_client

OFFICER = "Sergeant Zorblax Quennet"


def reopened_count(client) -> int:
    page = client.get("/staff/").get_data(as_text=True)
    row = re.search(r'status=reopened[^>]*>[^<]*</a></td><td>(\d+)</td>', page)
    assert row, page[:3000]
    return int(row.group(1))


def test_an_appeal_to_another_body_moves_the_case_s_count_with_it(app, make_user):
    old_body_investigator = make_user(Role.INVESTIGATOR, body="police_oversight")
    new_body_investigator = make_user(Role.INVESTIGATOR, body="defence_committee")
    code = new_receipt_code()
    case = create_case(CaseStatus.RESPONDED, body="police_oversight", receipt_hash=receipt_hash(code))
    assert count_discrepancies() == {}

    citizen = app.test_client()
    assert citizen.post("/track", data={"csrf_token": csrf_token(citizen, "/track"), "code": code}).status_code == 303
    token = csrf_token_from(citizen.get("/track/case").get_data(as_text=True))
    response = citizen.post("/track/case/appeal", data={
        "csrf_token": token, "submit_appeal": "Send my appeal", "body": "defence_committee",
        "reason": "Nobody asked the two witnesses at the checkpoint what they saw."})
    assert response.status_code == 303
    db.session.expire_all()
    assert case.body.code == "defence_committee" and case.status is CaseStatus.REOPENED

    old_body = staff_client(app, old_body_investigator)
    assert old_body.get(f"/staff/cases/{case.id}").status_code == 404
    assert reopened_count(old_body) == 0  # it no longer learns that its old case was reopened elsewhere
    assert reopened_count(staff_client(app, new_body_investigator)) == 1
    assert count_discrepancies() == {}


def test_the_new_body_does_not_read_the_old_body_s_register_through_the_allegations(app, make_user):
    old_body_investigator = make_user(Role.INVESTIGATOR, body="police_oversight")
    new_body_investigator = make_user(Role.INVESTIGATOR, body="defence_committee")
    officer = Subject(body=body_by_code("police_oversight"), kind=SubjectKind.OFFICER, name=OFFICER)
    db.session.add(officer)
    case = create_case(CaseStatus.INVESTIGATING, body="police_oversight", text="Soldiers beat the driver.")
    db.session.add(Allegation(case=case, subject=officer))
    db.session.commit()

    old_body = staff_client(app, old_body_investigator)
    assert OFFICER in old_body.get(f"/staff/cases/{case.id}").get_data(as_text=True)  # its own register
    response = post_case_form(old_body, case.id, "route", "route", body=str(body_by_code("defence_committee").id),
                              reason="It concerns soldiers.")
    assert response.status_code == 302

    page = staff_client(app, new_body_investigator).get(f"/staff/cases/{case.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'id="allegations-title"' in text and OFFICER not in text
    # Staff who read every register (an admin) still see whom the allegation named.
    admin = staff_client(app, make_user(Role.ADMIN))
    assert OFFICER in admin.get(f"/staff/cases/{case.id}").get_data(as_text=True)
