"""What the browser's history keeps of a complainant's visit: each page's address and title.

The quick exit replaces the page it leaves and clears the site's cookies and storage, but no page can clear the
history: whoever holds the phone afterwards reads it, and searches it from the address bar. Its addresses and
titles must name no case: not the reference (which finds the published answer, its body and its subject, and which
the phone itself can text STATUS with), not the receipt code, not the complaint's words.
"""
from __future__ import annotations

import re

from tests.conftest import csrf_token
from tests.factories import post_multipart
from tests.security.conftest import RECEIPT_RE, REFERENCE_RE, digits_only, report_fields, track

TITLE = re.compile(r"<title>(.*?)</title>", re.S)
MARKER = "history-marker"


def title_of(response) -> str:
    found = TITLE.search(response.get_data(as_text=True))
    assert found, response.request.path
    return found.group(1)


def assert_names_no_case(response, reference: str, code: str) -> None:
    title, address = title_of(response), response.request.url
    for kept in (title, address):
        assert reference not in kept and REFERENCE_RE.search(kept) is None, (address, title)
        assert digits_only(code) not in digits_only(kept), (address, title)
        assert MARKER not in kept, (address, title)


def test_no_page_a_complainant_visits_names_the_case_in_the_history(app, client):
    fields = {**report_fields(MARKER), "csrf_token": csrf_token(client, "/report")}
    sent = post_multipart(client, "/report", fields)
    assert sent.status_code == 303
    received = client.get("/report/received")
    page = received.get_data(as_text=True)
    code, reference = RECEIPT_RE.search(page).group(1), REFERENCE_RE.search(page).group(0)
    visited = [received]

    assert track(client, code).status_code == 303
    visited.append(client.get("/track/case"))
    assert reference in visited[-1].get_data(as_text=True), "the page itself still gives the reference"
    token = csrf_token(client, "/track/case")
    refused = client.post("/track/case/reply", data={"csrf_token": token, "case_reference": reference,
                                                     "text": ""})
    assert refused.status_code == 400
    visited.append(refused)
    # The code entered with a message written while the case had closed: the case page comes straight back.
    client.post("/track/leave", data={"csrf_token": csrf_token(client, "/track/case")})
    shown = client.post("/track", data={"csrf_token": csrf_token(client, "/track"), "code": code,
                                        "unsent": f"More about {MARKER}"})
    assert shown.status_code == 200 and reference in shown.get_data(as_text=True)
    visited.append(shown)

    for response in visited:
        assert_names_no_case(response, reference, code)
