"""While an investigation waits for the complainant, "Next step" still says what the investigator can do: record
the outcome and findings, then send the response (whose button appears only once they are saved)."""
from __future__ import annotations

import re

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus
from tests.cases.conftest import fresh, post_case_form

RESPOND_BUTTON = "/status/responded"


def next_step(client, case_id: int) -> str:
    html = client.get(f"/staff/cases/{case_id}").get_data(as_text=True)
    found = re.search(r'<section class="next-step".*?</section>', html, re.S)
    assert found, html[:500]
    return found.group(0)


def test_waiting_for_the_complainant_still_says_to_record_findings_then_to_respond(make_case, make_user, signed_in):
    case = make_case(CaseStatus.INVESTIGATING, body="police_oversight")
    own = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    assert post_case_form(own, case.id, "messages", "message", text="Which day did it happen?",
                          wait_for_reply="y").status_code == 302
    assert fresh(case).waiting_since is not None

    section = next_step(own, case.id)
    assert "Waiting for the complainant to reply" in section
    assert "Record the outcome and findings" in section
    assert "appears once they are saved" in section
    assert RESPOND_BUTTON not in section

    assert post_case_form(own, case.id, "findings", "findings", outcome="substantiated",
                          findings="The officer shouted.").status_code == 302
    section = next_step(own, case.id)
    assert "Waiting for the complainant to reply" in section
    assert "Send the response to the complainant." in section and RESPOND_BUTTON in section


def test_another_role_is_told_the_same_is_for_the_bodys_investigators(make_case, make_user, signed_in):
    case = make_case(CaseStatus.INVESTIGATING, body="police_oversight")
    own = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    post_case_form(own, case.id, "messages", "message", text="Which day did it happen?", wait_for_reply="y")
    admin = signed_in(make_user(Role.ADMIN))
    section = next_step(admin, case.id)
    assert "Waiting for the complainant to reply" in section
    assert "record the outcome and findings" in section and "That is for the body" in section
