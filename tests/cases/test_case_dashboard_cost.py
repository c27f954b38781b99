"""What one dashboard request costs the database: a budget of SQL statements, so that a change that adds
queries to the page every staff member opens first shows here; and the recusals read once per transaction
still hide a case from the query that follows the recusal."""
from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Case, CaseStatus
from civicwatch.cases.operations import recuse_from_case
from civicwatch.cases.permissions import can_open, visible_cases
from civicwatch.extensions import db

BODY = "police_oversight"
# The signed-in user with their body (one statement), the bodies of the filter (not on an investigator's
# dashboard, which has none), the user's recusals (read once for every query of cases), the figures kept per body
# and status, the deadline figures with the quarter's medians (one statement), the cases received this quarter by
# channel, and the user's deadline alerts. A recusal adds the count of the recused cases, taken off the kept
# figures. Before: 10 statements for every body, 11 for one body or an investigator (the user's body and the
# asked body read apart, the recusals read twice, the recused cases counted even when there were none, the
# medians read alone, the bodies read for an investigator).
BUDGETS = {"admin, every body": 7, "admin, one body": 7, "investigator": 6, "investigator with a recusal": 7}


def statements_of(app: Flask, client: FlaskClient, path: str) -> list[str]:
    assert client.get(path).status_code == 200  # the first request after signing in may refresh the session
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    db.session.remove()  # each request starts with an empty session, as under gunicorn
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return statements


@pytest.mark.parametrize("who", BUDGETS)
def test_the_dashboard_stays_within_its_statement_budget(app, make_case, make_user, signed_in, who):
    case = make_case(CaseStatus.INVESTIGATING, body=BODY, urgent=True)
    if who.startswith("admin"):
        user = make_user(Role.ADMIN)
    else:
        user = make_user(Role.INVESTIGATOR, body=BODY)
    if who.endswith("recusal"):
        recuse_from_case(case, user, "My cousin is the officer.")
    db.session.commit()
    path = f"/staff/?body={BODY}" if who == "admin, one body" else "/staff/"
    statements = statements_of(app, signed_in(user), path)
    assert len(statements) <= BUDGETS[who], "\n".join(statements)


def test_a_recusal_hides_the_case_from_the_next_query_of_the_same_transaction(make_case, make_user):
    case = make_case(CaseStatus.INVESTIGATING, body=BODY)
    investigator = make_user(Role.INVESTIGATOR, body=BODY)
    db.session.commit()
    assert can_open(investigator, case.id)  # the recusals (none yet) are now read for this transaction
    recuse_from_case(case, investigator, "My cousin is the officer.")
    assert not can_open(investigator, case.id)
    assert case.id not in db.session.scalars(visible_cases(investigator).with_only_columns(Case.id)).all()
    db.session.rollback()  # the recusal is gone with its transaction, and the case visible again
    assert can_open(investigator, case.id)
