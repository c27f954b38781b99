"""Ids in the URL above the id columns' range on PostgreSQL (INTEGER: 2**31 - 1) are a 404 on every page, never a
500; so is a number out of range in a form field or a query (a 400)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Case, CaseStatus
from civicwatch.extensions import db
from tests.conftest import csrf_token, on_postgres
from tests.disclosure.conftest import add_user
from tests.factories import create_case, staff_client

TOO_BIG = 2**31


def test_ids_beyond_the_integer_columns_are_not_found(app, clock):
    admin = add_user("admin", Role.ADMIN, custodian=True)
    investigator = add_user("investigator", Role.INVESTIGATOR, "police_oversight")
    db.session.commit()
    case = create_case(CaseStatus.INVESTIGATING)
    failures = []
    for user in (admin, investigator):
        browser = staff_client(app, user)
        token = csrf_token(browser, "/staff/")
        for path in (f"/staff/cases/{TOO_BIG}", f"/staff/cases/{TOO_BIG}/identity", f"/staff/cases/{case.id}/attachments/{TOO_BIG}/original",
                     f"/staff/patterns/alerts/{TOO_BIG}", f"/staff/patterns/shared/cases/{TOO_BIG}",
                     f"/staff/audit/cases/{TOO_BIG}", f"/staff/audit/users/{TOO_BIG}"):
            status = browser.get(path).status_code
            if status >= 500:
                failures.append(("GET", user.role.value, path, status))
        for path in (f"/staff/disclosures/{TOO_BIG}/approve", f"/staff/disclosures/{TOO_BIG}/refuse",
                     f"/staff/patterns/alerts/{TOO_BIG}/closed", f"/staff/patterns/shares/{TOO_BIG}/approve",
                     f"/staff/cases/{case.id}/attachments/{TOO_BIG}/original/requests"):
            status = browser.post(path, data={"csrf_token": token, "days": "3", "hours": "2",
                                              "reason": "A reason long enough for the form."}).status_code
            if status >= 500:
                failures.append(("POST", user.role.value, path, status))
    assert failures == []


@pytest.mark.parametrize("number", [TOO_BIG, 10**30])
def test_numbers_out_of_range_in_queries_and_forms_are_refused_not_a_server_error(app, clock, number):
    admin = add_user("admin", Role.ADMIN)
    db.session.commit()
    case = create_case(CaseStatus.INVESTIGATING)
    browser = staff_client(app, admin)
    for path in (f"/staff/audit?user={number}", f"/staff/audit?body={number}", f"/staff/audit?before={number}",
                 f"/staff/audit?after={number}"):
        assert browser.get(path).status_code < 500, path
    token = csrf_token(browser, f"/staff/cases/{case.id}")
    response = browser.post(f"/staff/cases/{case.id}/assign", data={"csrf_token": token, "assignee": str(number)})
    assert response.status_code < 500


@pytest.mark.skipif(not on_postgres(), reason="SQLite's integers hold any id a request can name")
def test_a_value_the_database_refuses_is_a_400_not_a_500(app, client):
    """The last line of defence, for a number no form checked: PostgreSQL refuses it (DataError)."""
    app.add_url_rule("/probe/<string:raw>", "probe",
                     lambda raw: str(db.session.scalar(select(Case.id).where(Case.id == int(raw)))))
    assert client.get("/probe/7").status_code == 200
    response = client.get(f"/probe/{TOO_BIG}")
    assert response.status_code == 400 and "out of range" in response.get_data(as_text=True)
    assert client.get("/probe/7").status_code == 200  # the session was rolled back and works again
