"""A staff form refused because the database failed at its commit: the page gives back what the staff member
wrote, as the other refused staff forms do (an expired form, a session that ended), and says whether it may
have been saved: a COMMIT that was sent and failed may have been applied with only its answer lost.

The database is made to fail in SQLAlchemy's engine layer (the dialect's do_commit, or before a statement) with
the driver's own error."""
from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseMessage, CaseStatus
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage
from tests.cases.conftest import post_case_form
from tests.factories import create_case, staff_client
from tests.intake.test_intake_failure_review import commit_fails
from tests.intake.test_intake_outages import inserts_fail

WRITTEN = ("Thank you for your report. Could you tell us the day it happened, the time, and whether anyone else "
           "saw the officers take the motorbike?")


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


NOTHING_SAVED = "Nothing was sent"
MAYBE_SAVED = "we cannot tell whether it was saved"


def send_message(app: Flask, make_user: Callable[..., Any], failure: Callable[[], Any]) -> tuple[Any, str]:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: an error becomes a response
    case = create_case(CaseStatus.INVESTIGATING, phone="+23276123456")
    staff = staff_client(app, make_user(Role.INVESTIGATOR))
    with failure():
        response = post_case_form(staff, case.id, "messages", "message", text=WRITTEN)
    assert response.status_code == 503 and response.headers["Retry-After"]
    return response, " ".join(response.get_data(as_text=True).split())


def test_a_message_to_the_complainant_refused_at_the_commit_gives_back_what_was_written(app, make_user):
    response, html = send_message(app, make_user, lambda: commit_fails(app, applied=False))
    assert count(CaseMessage) == 0 and count(OutboundMessage) == 0  # nothing half-written
    assert escape(WRITTEN) in html  # to copy and send again, not to write again from memory
    # The page cannot know the COMMIT was not applied, so it does not claim that nothing was saved.
    assert MAYBE_SAVED in html and NOTHING_SAVED not in html


def test_a_commit_applied_whose_answer_was_lost_is_not_called_unsaved(app, make_user):
    response, html = send_message(app, make_user, lambda: commit_fails(app, applied=True))
    assert count(CaseMessage) == 1 and count(OutboundMessage) == 1  # stored once, whole
    assert MAYBE_SAVED in html and NOTHING_SAVED not in html
    assert escape(WRITTEN) in html


@pytest.mark.parametrize("table", ["case_messages", "outbound_messages"])
def test_a_write_refused_before_the_commit_says_nothing_was_saved(app, make_user, table):
    response, html = send_message(app, make_user, lambda: inserts_fail(app, table))
    assert count(CaseMessage) == 0 and count(OutboundMessage) == 0
    assert NOTHING_SAVED in html and MAYBE_SAVED not in html
    assert escape(WRITTEN) in html
