"""A case page form sent back with a mistake (an empty message or note, a missing number of days) must say so where the page
opens. The form sits far down a long case page, inside a section a phone shows folded; without JavaScript nothing
takes the reader there, so an investigator on a small screen saw the case as before and could not tell the message
was never sent. The top of the page now says what was not done, with a link to each field to correct, and the
page's title starts with "Error:"."""
from __future__ import annotations

import re

import pytest

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus
from tests.cases.conftest import post_case_form

CASES = [
    ("messages", "message", {"text": "", "wait_for_reply": "y"}, "message-text", "Write the message."),
    ("notes", "note", {"text": "   "}, "note-text", "Write the note."),
    ("extend", "extend", {"days": "", "reason": "We wait for the hospital."}, "extend-days",
     "Give the number of working days."),
]


def top_of(html: str) -> str:
    """What the page shows before the case's "Next step": what a phone shows when the page opens."""
    return html[html.index("<main"):html.index('id="next-step-title"')]


@pytest.mark.parametrize(("path", "prefix", "fields", "field_id", "words"), CASES)
def test_a_refused_form_says_so_at_the_top_with_a_link_to_the_field(client, login_as, make_user, make_case, path,
                                                                      prefix, fields, field_id, words):
    case = make_case(CaseStatus.INVESTIGATING)
    login_as(make_user(Role.INVESTIGATOR, body="police_oversight"))
    response = post_case_form(client, case.id, path, prefix, **fields)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    top = top_of(html)
    assert "That was not done" in top and f'href="#{field_id}"' in top and words in top
    assert re.search(r"<title>Error: ", html)


def test_a_page_without_mistakes_has_no_notice(client, login_as, make_user, make_case):
    case = make_case(CaseStatus.INVESTIGATING)
    login_as(make_user(Role.INVESTIGATOR, body="police_oversight"))
    html = client.get(f"/staff/cases/{case.id}").get_data(as_text=True)
    assert "That was not done" not in html and "<title>Error:" not in html


def test_the_notice_is_in_french(client, login_as, make_user, make_case):
    case = make_case(CaseStatus.INVESTIGATING)
    login_as(make_user(Role.INVESTIGATOR, body="police_oversight"))
    client.get("/language/fr")
    top = top_of(post_case_form(client, case.id, "messages", "message", text="").get_data(as_text=True))
    assert 'href="#message-text"' in top and "Corrigez" in top
