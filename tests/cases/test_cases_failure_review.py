"""A staff form refused because the database failed at its commit: nothing is stored, and the page gives back
what the staff member wrote, as the other refused staff forms do (an expired form, a session that ended).

The commit is made to fail in SQLAlchemy's engine layer (the dialect's do_commit) with the driver's own error."""
from __future__ import annotations

from html import escape

from sqlalchemy import func, select

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseMessage, CaseStatus
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage
from tests.cases.conftest import post_case_form
from tests.factories import create_case, staff_client

WRITTEN = ("Thank you for your report. Could you tell us the day it happened, the time, and whether anyone else "
           "saw the officers take the motorbike?")


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_message_to_the_complainant_refused_by_the_database_gives_back_what_was_written(app, make_user):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: an error becomes a response
    case = create_case(CaseStatus.INVESTIGATING, phone="+23276123456")
    staff = staff_client(app, make_user(Role.INVESTIGATOR))
    with app.app_context():
        dialect = db.engine.dialect

    def commit_refused(dbapi_connection) -> None:
        raise dialect.loaded_dbapi.OperationalError("database is locked")

    dialect.do_commit = commit_refused  # type: ignore[method-assign]
    try:
        response = post_case_form(staff, case.id, "messages", "message", text=WRITTEN)
    finally:
        del dialect.do_commit
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert count(CaseMessage) == 0 and count(OutboundMessage) == 0  # nothing half-written
    assert escape(WRITTEN) in html  # to copy and send again, not to write again from memory
