"""The complainant rates or appeals the answer while a member of staff saves the case, or sends the same appeal
from two tabs at once: the page was read before the other write. They are never shown the staff's conflict page:
their rating is saved on the case as it now is, an appeal the case no longer takes is refused in their language
with what they wrote given back, and the same appeal sent twice is stored once."""
from __future__ import annotations

import html
import threading

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from civicwatch.accounts.models import Role, User
from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import Case, CaseEvent, CaseStatus
from civicwatch.cases.operations import assign_case, change_status
from civicwatch.extensions import db
from tests.intake.conftest import Reported, case_page_token, open_case, publish_answer
from tests.threads import before_the_first_write_of_this_thread, meeting_at_first_write, run_together

REASON = "Nobody asked the two witnesses at the checkpoint what they saw."
STAFF_WORDS = "Another staff member"
TABS = ("first-tab", "second-tab")


@pytest.fixture
def answered(client: FlaskClient, reported: Reported, make_user) -> tuple[Reported, int]:
    assert open_case(client, reported.code).status_code == 303
    publish_answer(reported.case, make_user)
    staff = make_user(Role.INVESTIGATOR, body="police_oversight")
    return reported, staff.id


def _staff(case_id: int, staff_id: int, work) -> None:
    work(db.session.get_one(Case, case_id), db.session.get_one(User, staff_id))
    db.session.commit()


def test_a_rating_sent_while_staff_save_the_case_is_saved(app: Flask, client: FlaskClient, answered):
    reported, staff_id = answered
    case_id, token = reported.case.id, case_page_token(client)

    def assign() -> None:
        _staff(case_id, staff_id, lambda case, user: assign_case(case, user, user))

    with before_the_first_write_of_this_thread(app, assign, db.engine) as started:
        response = client.post("/track/case/rate", data={"csrf_token": token, "rating": "2",
                                                          "submit_rating": "Save my rating"})

    assert started
    assert STAFF_WORDS not in response.get_data(as_text=True)
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get_one(Case, case_id).satisfaction == 2


@pytest.mark.parametrize("language, words", [
    ("en", "The oversight body changed your case while you were writing"),
    ("fr", "L’organe de contrôle a modifié votre dossier pendant que vous écriviez"),
    ("kri", "Di oversight bodi chenj yu kes we yu bin de rayt"),
])
def test_an_appeal_sent_while_staff_reopen_the_case_is_refused_in_plain_words_with_the_reason_kept(
        app: Flask, client: FlaskClient, answered, language: str, words: str):
    reported, staff_id = answered
    case_id = reported.case.id
    client.get(f"/language/{language}")
    token = case_page_token(client)

    def reopen() -> None:
        _staff(case_id, staff_id, lambda case, user: change_status(case, user, CaseStatus.REOPENED,
                                                                    "New witness statement received."))

    with before_the_first_write_of_this_thread(app, reopen, db.engine) as started:
        response = client.post("/track/case/appeal", data={"csrf_token": token, "reason": REASON,
                                                            "submit_appeal": "Send my appeal"})

    assert started
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 409
    assert STAFF_WORDS not in page
    assert words in page
    assert REASON in page  # to copy: it was not sent
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "case.reopen", AuditEntry.user_id.is_(None))) == 0


def test_one_appeal_sent_from_two_tabs_at_once_is_stored_once(app: Flask, client: FlaskClient, answered):
    reported, _ = answered
    case_id = reported.case.id
    other_tab = app.test_client()
    other_tab.set_cookie("session", client.get_cookie("session").value)  # the same browser
    posts = [(name, browser, case_page_token(browser)) for name, browser in zip(TABS, (client, other_tab), strict=True)]
    answers: dict[str, tuple[int, str]] = {}

    def send(name: str, browser: FlaskClient, token: str) -> None:
        threading.current_thread().name = name
        with app.app_context():
            response = browser.post("/track/case/appeal", data={"csrf_token": token, "reason": REASON,
                                                                "submit_appeal": "Send my appeal"})
            answers[name] = (response.status_code, response.get_data(as_text=True))

    with meeting_at_first_write(set(TABS), db.engine):
        run_together(send, posts, timeout=60)
    db.session.expire_all()

    assert all(STAFF_WORDS not in text for _, text in answers.values())
    assert [status for status, _ in answers.values()] == [303, 303]
    assert db.session.get_one(Case, case_id).status is CaseStatus.REOPENED
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "case.reopen")) == 1
    assert db.session.scalar(select(func.count()).select_from(CaseEvent).where(
        CaseEvent.case_id == case_id, CaseEvent.to_status == CaseStatus.REOPENED.value)) == 1
