"""After the idle sign-out, the page that gives back a refused note or message links to the sign-in page and,
from there, back to the case it was written on."""
from __future__ import annotations

from urllib.parse import quote

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus
from tests.conftest import csrf_token

LONG_MESSAGE = ("We spoke to the station commander at Waterloo: the two officers have been moved while the "
                "complaint is looked into. We will write again when the inquiry has met.")


def test_the_idle_sign_out_page_leads_back_to_the_case_without_a_referer(make_user, make_case, signed_in, clock,
                                                                         app):
    """CivicWatch sends `Referrer-Policy: no-referrer` with every page, so a browser posting a staff form sends no
    Referer header. The way back to the case must not depend on one: without it the sign-in link is left out
    and the staff member has to find the case again."""
    case = make_case(CaseStatus.INVESTIGATING)
    client = signed_in(make_user(Role.INVESTIGATOR))
    case_page = client.get(f"/staff/cases/{case.id}")
    assert case_page.headers["Referrer-Policy"] == "no-referrer"
    token = csrf_token(client, f"/staff/cases/{case.id}")
    clock.advance(minutes=app.config["STAFF_IDLE_MINUTES"] + 1)
    response = client.post(f"/staff/cases/{case.id}/messages",
                           data={"message-csrf_token": token, "message-version": str(case.version),
                                 "message-text": LONG_MESSAGE})  # no Referer, as the browser sends none
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert LONG_MESSAGE in page
    back = f"/staff/cases/{case.id}"
    assert any(f'/login?next={target}"' in page for target in (back, quote(back, safe=""))), \
        "no way back to the case"
