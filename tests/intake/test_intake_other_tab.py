"""A follow-up page left open in one tab while the same browser opened another case (two complaints, or a shared
device): what that page's forms send must not land on the case the browser follows now. Each form says which case
it was for; sent for another, nothing is saved and the citizen is asked for that case's receipt code."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from civicwatch.cases.models import Case, CaseMessage, CaseStatus
from civicwatch.cases.retaliation import send_due_check_ins
from civicwatch.database import utcnow
from civicwatch.extensions import db
from tests.intake.conftest import open_case, publish_answer, report_and_read_receipt
from tests.intake.test_intake_retaliation_watch import close_and_wait

FORM = r'<form[^>]*action="{action}"[^>]*>(.*?)</form>'
HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')


def hidden_fields(page: str, action: str) -> dict[str, str]:
    """The hidden fields a browser sends with the page's form for `action`."""
    form = re.search(FORM.format(action=re.escape(action)), page, re.S)
    assert form, action
    fields = {}
    for tag in HIDDEN.findall(form.group(1)):
        fields[re.search(r'name="([^"]+)"', tag).group(1)] = html.unescape(re.search(r'value="([^"]*)"', tag).group(1))
    return fields


@pytest.fixture
def two_answered(client, make_user):
    """Two reports from this browser, both answered; the page of the first one is open in a tab."""
    first, second = report_and_read_receipt(client), report_and_read_receipt(client)
    for reported in (first, second):
        publish_answer(reported.case, make_user)
    assert open_case(client, first.code).status_code == 303
    page = client.get("/track/case").get_data(as_text=True)
    assert open_case(client, second.code).status_code == 303  # another tab: the browser now follows the second
    return first, second, page


def refused(response) -> None:
    assert response.status_code == 409
    assert "This device now shows another case than the one on that page" in html.unescape(
        response.get_data(as_text=True))


def test_an_appeal_from_the_first_case_s_page_reopens_neither(client, two_answered):
    first, second, page = two_answered
    refused(client.post("/track/case/appeal", data={**hidden_fields(page, "/track/case/appeal"),
                                                    "reason": "Nobody asked the witnesses at the checkpoint.",
                                                    "submit_appeal": "Send my appeal"}))
    db.session.expire_all()
    assert first.case.status is second.case.status is CaseStatus.RESPONDED


def test_a_rating_from_the_first_case_s_page_rates_neither(client, two_answered):
    first, second, page = two_answered
    refused(client.post("/track/case/rate", data={**hidden_fields(page, "/track/case/rate"), "rating": "1",
                                                  "submit_rating": "Save my rating"}))
    db.session.expire_all()
    assert first.case.satisfaction is second.case.satisfaction is None


def test_a_message_from_the_first_case_s_page_goes_to_neither_and_is_kept(client, two_answered):
    first, second, page = two_answered
    words = "The officer's motorbike number was AB 123."
    response = client.post("/track/case/reply", data={**hidden_fields(page, "/track/case/reply"), "text": words})
    refused(response)
    assert words in html.unescape(response.get_data(as_text=True))  # back in the box, once the case is open
    assert db.session.query(CaseMessage).filter(CaseMessage.body.contains("motorbike")).count() == 0


def test_the_page_of_the_case_followed_now_still_works(client, two_answered):
    first, second, _ = two_answered
    page = client.get("/track/case").get_data(as_text=True)
    response = client.post("/track/case/rate", data={**hidden_fields(page, "/track/case/rate"), "rating": "4",
                                                     "submit_rating": "Save my rating"})
    assert response.status_code == 303
    db.session.expire_all()
    assert second.case.satisfaction == 4 and first.case.satisfaction is None


def test_a_check_in_answer_from_the_first_case_s_page_opens_nothing(client, app, clock):
    first = report_and_read_receipt(client, fears_retaliation="yes")
    second = report_and_read_receipt(client, fears_retaliation="yes")
    for reported in (first, second):
        close_and_wait(reported.case, clock, days=0)
    clock.advance(days=30)
    send_due_check_ins(utcnow())
    db.session.commit()
    assert open_case(client, first.code).status_code == 303
    page = client.get("/track/case").get_data(as_text=True)
    assert open_case(client, second.code).status_code == 303
    refused(client.post("/track/case/check-in", data={**hidden_fields(page, "/track/case/check-in"),
                                                      "happened": "yes", "details": "Officers came to my house."}))
    assert db.session.scalar(select(func.count()).select_from(Case)) == 2
