"""The database fails at the worst moments of a web report: right after the commit (the citizen still gets the
receipt, the case is stored once), or before it (a 503 with Retry-After that keeps what was typed).

The database is made to fail at the exact point with SQLAlchemy's own events: new connections are refused (as
when the server is down), or every statement and rollback on the open connection fails (as when it died mid-
request). Nothing is mocked above the driver: the requests go through the real app and a real database.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Case, CaseStatus, RetaliationCheckIn
from civicwatch.classify.registry import use_classifier
from civicwatch.extensions import db
from civicwatch.intake.queries import find_case_by_receipt
from civicwatch.routing import operations as routing
from tests.conftest import csrf_token, on_postgres, terminate_the_sessions_backend
from tests.factories import post_multipart, staff_client
from tests.intake.conftest import (
    RECEIPT_RE,
    WHAT_HAPPENED,
    case_page_token,
    open_case,
    post_report,
    publish_answer,
    report_and_read_receipt,
)
from tests.intake.test_intake_assisted import PATH as ASSISTED_PATH
from tests.intake.test_intake_assisted import assisted_form
from tests.intake.test_intake_rating_appeal import REASON
from tests.intake.test_intake_retaliation_watch import close_and_wait
from tests.routing.conftest import FakeClassifier


def gone(*_: Any, **__: Any) -> None:
    raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))


class DeadDatabase:
    """Makes the app's database fail from a chosen moment on, in one of two ways, until `stop()`.

    - "refused": pooled connections are closed and new ones refused (the server is down);
    - "broken": the connection in use fails every statement and even the rollback (it died mid-request).
    """

    def __init__(self, app: Flask, how: str) -> None:
        self.app, self.how = app, how
        self.hooks: list[tuple[Any, str, Any]] = []
        self.dead = False

    def start(self) -> None:
        if self.dead:
            return
        self.dead = True
        with self.app.app_context():
            engine = db.engine
        if self.how == "refused":
            self._hook(engine, "do_connect", gone)
            engine.pool.dispose()
        else:
            self._hook(engine, "before_cursor_execute", gone)
            self._hook(engine, "rollback", gone)

    def _hook(self, target: Any, name: str, function: Any) -> None:
        event.listen(target, name, function)
        self.hooks.append((target, name, function))

    def stop(self) -> None:
        for target, name, function in self.hooks:
            event.remove(target, name, function)
        self.hooks.clear()
        self.dead = False


@contextmanager
def database_dies_after_the_first_commit(app: Flask, how: str, before_other_listeners: bool = False
                                         ) -> Iterator[DeadDatabase]:
    """`before_other_listeners`: dead before the app's own after-commit work (the audit anchor's read) runs."""
    dead = DeadDatabase(app, how)

    def after_commit(session: Session) -> None:
        if not session.in_nested_transaction():  # a savepoint's release is not a commit
            dead.start()

    event.listen(Session, "after_commit", after_commit, insert=before_other_listeners)
    try:
        yield dead
    finally:
        event.remove(Session, "after_commit", after_commit)
        dead.stop()


def stored_cases() -> list[Case]:
    db.session.rollback()
    return list(db.session.scalars(select(Case)))


# ---------------------------------------------------------------- item: the receipt after the commit

@pytest.mark.parametrize("how", ["refused", "broken"])
def test_database_dying_right_after_the_commit_still_shows_the_receipt(client, app, how, caplog):
    token = csrf_token(client, "/report")
    with database_dies_after_the_first_commit(app, how) as dead:
        response = post_report(client, token=token)
        assert dead.dead, "the database was to fail after the commit"
        assert response.status_code == 303 and response.headers["Location"] == "/report/received"
        page = client.get("/report/received")  # the database is still down
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html[:500]
    code = RECEIPT_RE.search(html).group(1)
    cases = stored_cases()
    assert len(cases) == 1 and cases[0].text == WHAT_HAPPENED
    assert cases[0].reference in html
    assert find_case_by_receipt(code).id == cases[0].id
    assert cases[0].body_id is None  # not routed: it waits in the triage queue
    assert code not in caplog.text and WHAT_HAPPENED not in caplog.text



# ---------------------------------------------------------------- item: a database outage answers 503

HIDDEN_RE = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
TEXTAREA_RE = re.compile(r'<textarea id="text" name="text"[^>]*>(.*?)</textarea>', re.S)
TYPED = {"incident_date": "2026-01-05", "area": "district:kenema", "location_text": "Tongo <checkpoint> & \"gate\"",
         "reported_actor": "police", "contact_choice": "contact", "phone": "+232 76 123 456",
         "email": "me@example.org"}
TEXT_WITH_MARKUP = WHAT_HAPPENED + ' They said "<b>pay</b> & go".'


def fields_of(html: str) -> dict[str, str]:
    """What the page's form sends back, as a browser would."""
    fields = {name: unescape(value) for name, value in HIDDEN_RE.findall(html)}
    fields["text"] = unescape(TEXTAREA_RE.search(html).group(1))
    return fields


@contextmanager
def inserts_fail(app: Flask, table: str = "cases") -> Iterator[list[str]]:
    """The database fails every INSERT into `table` (before any COMMIT is sent); the statements it refused."""
    failed: list[str] = []

    def refuse(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()}"):
            failed.append(statement)
            gone()

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", refuse)
    try:
        yield failed
    finally:
        event.remove(engine, "before_cursor_execute", refuse)


def assert_kept(response) -> dict[str, str]:
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "30", html[:500]
    assert "Nothing is lost" in html and "Send again" in html
    fields = fields_of(html)
    assert fields["text"] == TEXT_WITH_MARKUP
    assert {name: fields.get(name) for name in TYPED} == TYPED
    assert "<b>pay</b>" not in html  # kept as text, not markup
    return fields


def test_insert_failing_answers_503_with_everything_typed_and_sending_again_stores_once(client, app):
    token = csrf_token(client, "/report")
    with inserts_fail(app) as failed:
        response = post_report(client, token=token, text=TEXT_WITH_MARKUP, **TYPED)
    assert failed, "the INSERT was to fail"
    fields = assert_kept(response)
    assert stored_cases() == []

    again = post_multipart(client, "/report", fields)  # the database is back; the citizen presses "Send again"
    assert again.status_code == 303, again.get_data(as_text=True)[:1000]
    html = client.get("/report/received").get_data(as_text=True)
    [case] = stored_cases()
    assert case.text == TEXT_WITH_MARKUP and case.location_text == TYPED["location_text"] and case.reference in html
    assert RECEIPT_RE.search(html)


def test_database_down_before_the_form_is_read_still_keeps_the_text(client, app):
    token = csrf_token(client, "/report")
    dead = DeadDatabase(app, "refused")
    dead.start()
    try:
        response = post_report(client, token=token, text=TEXT_WITH_MARKUP, **TYPED)
    finally:
        dead.stop()
    fields = assert_kept(response)
    assert fields["csrf_token"] == token
    assert stored_cases() == []


def test_a_commit_lost_with_the_connection_is_sent_again_without_a_second_case(client, app):
    """The COMMIT reached the database but its answer was lost: the citizen sees the 503 page, sends again with
    the same form key, and gets the receipt of the case that was stored."""
    html = client.get("/report").get_data(as_text=True)
    form_key = re.search(r'name="form_key"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="form_key"', html)
    hidden = {"form_key": form_key.group(1) or form_key.group(2)}
    token = csrf_token(client, "/report")

    def answer_lost(session: Session) -> None:
        if session.in_nested_transaction():  # a savepoint's release is not the commit
            return
        raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))

    event.listen(Session, "after_commit", answer_lost)
    try:
        response = post_report(client, token=token, text=TEXT_WITH_MARKUP, **TYPED, **hidden)
    finally:
        event.remove(Session, "after_commit", answer_lost)
    fields = assert_kept(response)
    assert len(stored_cases()) == 1  # it was stored after all

    again = post_multipart(client, "/report", fields)
    assert again.status_code == 303
    html = client.get("/report/received").get_data(as_text=True)
    [case] = stored_cases()
    assert case.reference in html and find_case_by_receipt(RECEIPT_RE.search(html).group(1)).id == case.id


def test_other_pages_answer_503_with_retry_after(client, app, make_user):
    staff = staff_client(app, make_user("admin"))
    dead = DeadDatabase(app, "refused")
    dead.start()
    try:
        public = client.get("/transparency", headers={"Accept": "text/html"})
        api = client.post("/open311/v2/requests.json", data={"api_key": "cw311_x", "service_code": "corruption",
                                                              "description": "Something happened."})
        staff_page = staff.get("/staff/cases")
    finally:
        dead.stop()
    assert public.status_code == 503 and public.headers["Retry-After"] == "30"
    assert "briefly unavailable" in public.get_data(as_text=True)
    assert api.status_code == 503 and api.headers["Retry-After"] == "30"
    assert api.get_json()[0]["code"] == 503
    assert staff_page.status_code == 503 and staff_page.headers["Retry-After"] == "30"
    assert "briefly unavailable" in staff_page.get_data(as_text=True)
    # Only reading was asked for: nothing to save, so the page does not speak of saving.
    for page in (public, staff_page):
        assert "saved" not in page.get_data(as_text=True) and "try again in a few minutes" in page.get_data(as_text=True)


@pytest.mark.postgres_only
@pytest.mark.skipif(not on_postgres(), reason="terminates a PostgreSQL backend")
def test_the_connection_lost_while_routing_answers_503_and_sending_again_stores_and_routes_once(
        client, app, monkeypatch):
    """The server goes away while the new case is being routed: nothing of the transaction can be kept, so the
    citizen gets the 503 page with what was typed (not an error page, and not a receipt for a case that was never
    stored), and sending again stores the case once, routed as usual."""
    use_classifier(app, FakeClassifier(theme="corruption", confidence=0.99))
    token = csrf_token(client, "/report")
    audit_route = routing._audit_route  # routing's last write, after the case's row and its decision

    def lose_the_connection(*args):
        terminate_the_sessions_backend()
        monkeypatch.setattr(routing, "_audit_route", audit_route)
        return audit_route(*args)

    monkeypatch.setattr(routing, "_audit_route", lose_the_connection)
    fields = assert_kept(post_report(client, token=token, text=TEXT_WITH_MARKUP, **TYPED))
    assert stored_cases() == []
    again = post_multipart(client, "/report", fields)
    assert again.status_code == 303, again.get_data(as_text=True)[:1000]
    [case] = stored_cases()
    assert case.text == TEXT_WITH_MARKUP and case.body.code == "anti_corruption_commission"


@pytest.mark.parametrize("how", ["broken", "refused"])
def test_an_assisted_report_stored_before_the_database_dies_gets_its_slip(app, client, make_user, login_as, how):
    """The assistant's id is read before the commit, which expires the signed-in user: the slip needs no database,
    and an error page after it would not fail on a user whose session lost its connection either."""
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: an unhandled error is a 500 page
    login_as(make_user(Role.INVESTIGATOR, "auditor_general"))
    data = assisted_form(client)
    with database_dies_after_the_first_commit(app, how) as dead:
        response = client.post(ASSISTED_PATH, data=data)
        assert dead.dead, "the database was to fail after the commit"
    assert response.status_code == 303
    db.session.rollback()
    assert len(db.session.scalars(select(Case)).all()) == 1
    slip = client.get("/staff/assisted/receipt")
    assert slip.status_code == 200 and RECEIPT_RE.search(slip.get_data(as_text=True))


# ---------------------------------------------------------------- item: a follow-up answer after the commit

FOLLOW_UP_ANSWERS = {"rate": {"rating": "4"}, "appeal": {"reason": REASON},
                     "check-in": {"happened": "yes", "details": "Two officers came to my house and threatened me."}}


@pytest.mark.parametrize("how", ["broken", "refused"])
@pytest.mark.parametrize("action", list(FOLLOW_UP_ANSWERS))
def test_a_follow_up_answer_stored_before_the_database_dies_is_not_told_nothing_was_saved(
        client, app, make_user, clock, action, how):
    """A rating, an appeal or a check-in answer is committed, then the connection dies: the citizen is thanked as
    usual (303), not told that nothing was saved and to send it again (an appeal sent again is refused: the case is
    open again)."""
    reported = report_and_read_receipt(client, fears_retaliation="yes")
    if action == "check-in":
        close_and_wait(reported.case, clock)
    else:
        publish_answer(reported.case, make_user)
    case_id = reported.case.id
    assert open_case(client, reported.code).status_code == 303
    data = {"csrf_token": case_page_token(client), **FOLLOW_UP_ANSWERS[action]}
    with database_dies_after_the_first_commit(app, how) as dead:
        response = client.post(f"/track/case/{action}", data=data)
        assert dead.dead, "the database was to fail after the commit"
    assert response.status_code == 303, response.get_data(as_text=True)[-600:]
    db.session.rollback()
    case = db.session.get(Case, case_id)
    check_in = db.session.scalar(select(RetaliationCheckIn))
    stored = {"rate": lambda: case.satisfaction == 4, "appeal": lambda: case.status is CaseStatus.REOPENED,
              "check-in": lambda: check_in is not None and check_in.reported_case_id is not None}
    assert stored[action]()
