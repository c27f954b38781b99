"""A staff member's long note or message is never lost when the form is refused: the page that refuses it gives
back what they wrote, as the page for a case changed by someone else does."""
from __future__ import annotations

from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseMessage, CaseStatus, MessageKind
from civicwatch.extensions import db
from tests.conftest import csrf_token

LONG_NOTE = ("Spoke to the station commander at Waterloo by phone: he confirms two officers were on the junction "
             "that night and says the log book was taken to Freetown. Witness Fatmata K. will come on Monday.")


def test_a_note_sent_with_an_expired_form_is_given_back(make_user, make_case, signed_in):
    """The form's token no longer matches the session (signed in again in another tab, or the session ended and
    began again): the refusal says "go back, reload the page and send it again", and reloading empties the
    note. The refusal page must show the note so that it can be copied."""
    case = make_case(CaseStatus.INVESTIGATING)
    client = signed_in(make_user(Role.INVESTIGATOR))
    stale_token = csrf_token(signed_in(make_user(Role.INVESTIGATOR)), "/staff/")  # valid, but not this session's
    response = client.post(f"/staff/cases/{case.id}/notes",
                           data={"note-csrf_token": stale_token, "note-version": str(case.version),
                                 "note-text": LONG_NOTE})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This form has expired" in page
    assert LONG_NOTE in page, "the note typed in is lost"
    db.session.expire_all()
    assert not db.session.scalars(select(CaseMessage).where(CaseMessage.case_id == case.id,
                                                           CaseMessage.kind == MessageKind.NOTE)).all()


def test_a_message_sent_after_the_idle_sign_out_is_given_back(make_user, make_case, signed_in, clock, app):
    """Writing a long message to the complainant takes longer than the idle limit (no request is made while
    typing, and the page works without JavaScript): sending it signs the staff member out and sends them to the
    sign-in page, and the message is gone."""
    case = make_case(CaseStatus.INVESTIGATING)
    client = signed_in(make_user(Role.INVESTIGATOR))
    token = csrf_token(client, f"/staff/cases/{case.id}")
    clock.advance(minutes=app.config["STAFF_IDLE_MINUTES"] + 1)
    response = client.post(f"/staff/cases/{case.id}/messages",
                           data={"message-csrf_token": token, "message-version": str(case.version),
                                 "message-text": LONG_NOTE}, follow_redirects=True)
    assert "Please sign in again" in response.get_data(as_text=True)
    assert LONG_NOTE in response.get_data(as_text=True), "the message typed in is lost"
    assert not db.session.scalars(select(CaseMessage).where(CaseMessage.case_id == case.id)).all()


def test_an_expired_form_never_shows_back_a_password_or_a_citizens_report(make_user, signed_in, client):
    """Only staff forms' free texts are given back: not passwords (a page the next person at the desk may see),
    and not a citizen's report (the quick exit and the forms' no-restore rules protect a shared phone)."""
    admin = signed_in(make_user(Role.ADMIN))
    secret = "correct horse battery staple number nine"
    name = "Aminata Kamara-Sesay, Bo district office"
    response = admin.post("/staff/users", data={"csrf_token": "stale", "email": "aminata@example.org",
                                                "name": name, "role": "triage", "password": secret})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "This form has expired" in page
    assert name in page, "the staff form's texts are given back"
    assert secret not in page, "but never its password"
    report = client.post("/report", data={"csrf_token": "stale", "text": LONG_NOTE, "consent": "y"})
    assert report.status_code == 400
    assert "This form has expired" in report.get_data(as_text=True)
    assert LONG_NOTE not in report.get_data(as_text=True)
