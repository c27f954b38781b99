"""The complainant sends the same follow-up from two tabs of one browser at the same moment (a double tap, a page
open twice): each request looks for the message before either stores it. The case gets it once, and both tabs
are told it was sent."""
from __future__ import annotations

import threading

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import CaseMessage, MessageKind
from civicwatch.extensions import db
from tests.intake.conftest import Reported, case_page_token, open_case
from tests.threads import meeting_at_first_write, run_together

FOLLOW_UP = "The officer who took my phone is called Sergeant Bangura. He works at the Kissy Road station."
TABS = ("first-tab", "second-tab")


def test_one_follow_up_sent_from_two_tabs_at_once_is_stored_once(app: Flask, client: FlaskClient,
                                                                  reported: Reported):
    assert open_case(client, reported.code).status_code == 303
    other_tab = app.test_client()
    other_tab.set_cookie("session", client.get_cookie("session").value)  # the same browser
    posts = [(name, browser, case_page_token(browser)) for name, browser in zip(TABS, (client, other_tab), strict=True)]
    answers: dict[str, int] = {}

    def send(name: str, browser: FlaskClient, token: str) -> None:
        threading.current_thread().name = name
        with app.app_context():
            answers[name] = browser.post("/track/case/reply", data={"csrf_token": token, "text": FOLLOW_UP}).status_code

    with meeting_at_first_write(set(TABS), db.engine):
        run_together(send, posts, timeout=60)
    db.session.expire_all()

    assert answers == {"first-tab": 303, "second-tab": 303}
    stored = db.session.scalars(select(CaseMessage.body).where(CaseMessage.case_id == reported.case.id,
                                                               CaseMessage.kind == MessageKind.FROM_COMPLAINANT)).all()
    assert stored == [FOLLOW_UP]
    assert len(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "case.complainant_message")).all()) == 1
