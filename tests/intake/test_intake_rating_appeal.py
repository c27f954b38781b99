"""Rating and appealing a published answer on the follow-up page: real requests, real database."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from civicwatch.audit.models import AuditEntry
from civicwatch.audit.values import fingerprint
from civicwatch.cases.models import CaseEvent, CaseStatus
from civicwatch.extensions import db
from tests.conftest import csrf_token_from
from tests.intake.conftest import ANSWER_RESPONSE, case_page_token, open_case, publish_answer, report_and_read_receipt

REASON = "Nobody asked the two witnesses at the checkpoint what they saw."


@pytest.fixture
def followed(client, reported):
    """A reported case opened on the follow-up page in this browser."""
    assert open_case(client, reported.code).status_code == 303
    return reported


@pytest.fixture
def answered(followed, make_user):
    """The followed case, answered, with its answer published."""
    publication = publish_answer(followed.case, make_user)
    return followed, publication


def page_text(client) -> str:
    return html.unescape(client.get("/track/case").get_data(as_text=True))


def rate(client, rating, token=None):
    data = {"csrf_token": token or case_page_token(client), "submit_rating": "Save my rating"}
    if rating is not None:
        data["rating"] = rating
    return client.post("/track/case/rate", data=data)


def appeal(client, reason, token=None, body=None):
    data = {"csrf_token": token or case_page_token(client), "submit_appeal": "Send my appeal"}
    if body is not None:
        data["body"] = body
    if reason is not None:
        data["reason"] = reason
    return client.post("/track/case/appeal", data=data)


def audit_count(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


def test_before_the_answer_there_is_nothing_to_rate_or_appeal(client, followed):
    page = page_text(client)
    assert "How satisfied are you with this answer?" not in page
    assert 'action="/track/case/rate"' not in page and 'action="/track/case/appeal"' not in page


def test_the_published_answer_is_shown_with_an_accessible_rating_form(client, answered):
    _, publication = answered
    page = page_text(client)
    assert publication.summary in page and ANSWER_RESPONSE in page
    fieldset = re.search(r'<fieldset[^>]*id="rating"[^>]*>\s*<legend>([^<]*)</legend>(.*?)</fieldset>', page, re.S)
    assert fieldset and fieldset.group(1).strip() == "How satisfied are you with this answer?"
    values = re.findall(r'<input[^>]*type="radio"[^>]*value="(\d)"', fieldset.group(2))
    assert values == ["1", "2", "3", "4", "5"]
    assert re.search(r'<form method="post" action="/track/case/rate"', page)
    appeal_form = re.search(r'<form method="post" action="/track/case/appeal".*?</form>', page, re.S).group(0)
    assert 'name="csrf_token"' in appeal_form and 'name="reason"' in appeal_form
    assert "opened again" in appeal_form and "<script" not in appeal_form


def test_rating_saves_satisfaction_timeline_and_audit(client, answered):
    followed, _ = answered
    response = rate(client, "4")
    assert response.status_code == 303 and response.headers["Location"].startswith("/track/case")
    page = page_text(client)
    assert "Your rating of 4 out of 5 is saved." in page
    assert "You rated the answer 4 out of 5." in page  # the public timeline
    assert re.search(r'<input[^>]*checked[^>]*value="4"|<input[^>]*value="4"[^>]*checked', page)
    db.session.refresh(followed.case)
    assert followed.case.satisfaction == 4
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.kind == "answer_rated"))
    assert event.public and event.detail == {"rating": 4} and event.user_id is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "case.rate"))
    assert entry.user_id is None and entry.after == {"satisfaction": 4}


def test_a_new_rating_replaces_the_old_one(client, answered):
    followed, _ = answered
    assert rate(client, "2").status_code == 303
    assert rate(client, "5").status_code == 303
    db.session.refresh(followed.case)
    assert followed.case.satisfaction == 5
    assert audit_count("case.rate") == 2


@pytest.mark.parametrize("value", [None, "", "0", "6", "five", "3.5", "4 ", "-1", "1' OR '1'='1"])
def test_a_wrong_rating_is_refused_next_to_the_field(client, answered, value):
    followed, _ = answered
    response = rate(client, value)
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert re.search(r'<p class="error" id="rating-error">.*Choose a rating from 1 to 5\.</p>', page)
    assert "There is a problem" in page
    db.session.refresh(followed.case)
    assert followed.case.satisfaction is None
    assert audit_count("case.rate") == 0


def test_an_appeal_reopens_the_case(client, answered):
    followed, _ = answered
    response = appeal(client, f"  {REASON}\n ")
    assert response.status_code == 303
    page = page_text(client)
    assert "Your appeal was sent. Your case is open again" in page
    assert f"Your case was opened again. Reason: {REASON}" in page  # the public timeline
    assert 'action="/track/case/rate"' not in page and 'action="/track/case/appeal"' not in page
    db.session.refresh(followed.case)
    assert followed.case.status is CaseStatus.REOPENED and followed.case.responded_at is None
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.to_status == "reopened"))
    assert event.public and event.user_id is None and event.detail == {"reason": REASON}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "case.reopen"))
    assert entry.user_id is None and entry.after["status"] == "reopened" and entry.after["reason"] == fingerprint(REASON)


def test_an_appeal_can_ask_another_body_to_look_again(client, answered):
    followed, _ = answered
    first_body = followed.case.body
    page = page_text(client)
    choices = re.search(r'<select[^>]*name="body"[^>]*>(.*?)</select>', page, re.S).group(1)
    options = re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', choices)
    assert options[0] == ("", f"The same body ({first_body.name})")
    codes = [code for code, _ in options[1:]]
    assert codes and first_body.code not in codes
    other = codes[0]
    assert appeal(client, REASON, body=other).status_code == 303
    db.session.refresh(followed.case)
    assert followed.case.status is CaseStatus.REOPENED and followed.case.body.code == other
    assert followed.case.assigned_to_id is None
    assert audit_count("case.appeal_route") == 1
    routed = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "routed")
                                .order_by(CaseEvent.id.desc())).first()
    assert routed.public and routed.detail == {"body": followed.case.body.name, "appeal": True}


@pytest.mark.parametrize("body", ["nobody", "<script>", "the body that answered"])
def test_a_body_not_offered_is_refused_and_nothing_changes(client, answered, body):
    followed, _ = answered
    if body == "the body that answered":  # offered as "the same body" (empty), not by its code
        body = followed.case.body.code
    response = appeal(client, REASON, body=body)
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert re.search(r'<p class="error" id="body-error">.*Choose an oversight body from the list\.</p>', page)
    db.session.refresh(followed.case)
    assert followed.case.status is not CaseStatus.REOPENED


@pytest.mark.parametrize("reason, message", [
    (None, "Tell us why you disagree with the answer."),
    ("", "Tell us why you disagree with the answer."),
    ("   \n\t ", "Tell us why you disagree with the answer."),
    ("Not fair", "Say a little more: at least 10 characters."),
    ("x" * 2001, "Your reason is too long: at most 2,000 characters. You wrote 2,001."),
])
def test_a_wrong_appeal_is_refused_next_to_the_field(client, answered, reason, message):
    followed, _ = answered
    response = appeal(client, reason)
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert f'<p class="error" id="reason-error">{message}</p>' in page
    db.session.refresh(followed.case)
    assert followed.case.status is CaseStatus.RESPONDED
    assert audit_count("case.reopen") == 0


def test_the_longest_reason_is_accepted_whole(client, answered):
    followed, _ = answered
    reason = ("word " * 400).strip()[:2000]
    assert appeal(client, reason).status_code == 303
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.to_status == "reopened"))
    assert event.detail["reason"] == reason


def test_without_an_answer_rating_and_appeal_say_so_with_409(client, followed):
    response = rate(client, "3")
    assert response.status_code == 409
    assert "There is no answer to rate yet" in html.unescape(response.get_data(as_text=True))
    response = appeal(client, REASON)
    assert response.status_code == 409
    assert "There is no answer to appeal yet" in html.unescape(response.get_data(as_text=True))
    db.session.refresh(followed.case)
    assert followed.case.satisfaction is None and followed.case.status is not CaseStatus.REOPENED


NO_ANSWER = {
    "fr": ("Il n'y a pas encore de réponse à noter", "Il n'y a pas encore de réponse à contester"),
    "kri": ("Ansa nor de yet fo yu gi am nomba", "Ansa nor de yet fo yu aks mek dem luk am bak"),
}


@pytest.mark.parametrize("language", NO_ANSWER)
def test_without_an_answer_rating_and_appeal_say_so_in_the_page_language(client, followed, language):
    client.get(f"/language/{language}")
    for send, expected in zip((rate(client, "3"), appeal(client, REASON)), NO_ANSWER[language], strict=True):
        page = html.unescape(send.get_data(as_text=True))
        assert send.status_code == 409 and expected in page
        assert "There is no answer" not in page and "reopened" not in page


def test_after_an_appeal_the_old_answer_can_no_longer_be_rated(client, answered):
    followed, _ = answered
    token = case_page_token(client)
    assert appeal(client, REASON, token).status_code == 303
    assert rate(client, "5", token).status_code == 409
    assert appeal(client, "Another reason, sent after the case was open again.", token).status_code == 409
    assert appeal(client, REASON, token).status_code == 303  # the same appeal sent again: thanked, stored once
    assert audit_count("case.reopen") == 1


def test_no_csrf_token_no_change(client, answered):
    followed, _ = answered
    assert client.post("/track/case/rate", data={"rating": "5"}).status_code == 400
    assert client.post("/track/case/appeal", data={"reason": REASON}).status_code == 400
    db.session.refresh(followed.case)
    assert followed.case.satisfaction is None and followed.case.status is CaseStatus.RESPONDED


def test_only_the_case_opened_in_this_browser(app, client, answered, make_user):
    followed, _ = answered
    other_browser = app.test_client()
    other = report_and_read_receipt(other_browser)
    publish_answer(other.case, make_user)
    # This browser follows the first case: its posts reach that case only.
    assert rate(client, "1").status_code == 303
    db.session.refresh(other.case)
    db.session.refresh(followed.case)
    assert other.case.satisfaction is None and followed.case.satisfaction == 1
    # A browser that never opened a case is sent to the receipt-code page and nothing changes.
    stranger = app.test_client()
    token = csrf_token_from(stranger.get("/track").get_data(as_text=True))
    for path, data in (("/track/case/rate", {"rating": "5"}), ("/track/case/appeal", {"reason": REASON})):
        response = stranger.post(path, data={"csrf_token": token, **data})
        assert response.status_code == 303 and response.headers["Location"].endswith("/track")
    db.session.refresh(other.case)
    assert other.case.satisfaction is None and other.case.status is CaseStatus.RESPONDED
