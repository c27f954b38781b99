"""Every citizen page carries the quick exit: a plain link to a neutral site, with its script. While a case is
open, the link ends the case's sessions on the server on its way out."""
from __future__ import annotations

import html
import re

from tests.intake.conftest import open_case, post_report

QUICK_EXIT = ('<a class="button quick-exit" href="https://www.google.com/" rel="noreferrer" data-quick-exit>'
              'Leave this site quickly</a>')
SCRIPT = re.compile(r'<script src="/static/js/quick_exit\.js\?v=[0-9a-f]+" defer></script>')  # versioned name


def assert_quick_exit(html: str) -> None:
    assert QUICK_EXIT in html and SCRIPT.search(html)


def test_public_and_report_pages(client):
    for path in ("/", "/privacy", "/report", "/track", "/report/received"):  # the last one: receipt gone
        assert_quick_exit(client.get(path).get_data(as_text=True))


EXIT_LINK = re.compile(r'<a class="button quick-exit" href="(/track/leave-quickly\?t=[^"]+)" rel="noreferrer" '
                       r'data-quick-exit>Leave this site quickly</a>')


def exit_link(client) -> str:
    page = client.get("/track/case").get_data(as_text=True)
    assert SCRIPT.search(page)
    match = EXIT_LINK.search(page)
    assert match, page
    return html.unescape(match.group(1))


def test_case_page_exit_ends_the_case_on_the_server(client, reported):
    open_case(client, reported.code)
    copied = client.get_cookie("session").value  # say, a copy left in another tab or taken off the phone
    response = client.get(exit_link(client))  # a plain link: no JavaScript needed
    assert response.status_code == 303 and response.headers["Location"] == "https://www.google.com/"
    assert response.headers["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert client.get_cookie("session") is None  # nothing of ours left on the device
    again = client.get("/track/case")
    assert again.status_code == 302 and again.headers["Location"] == "/track"  # sign in again with the code
    replay = client.application.test_client()
    replay.set_cookie("session", copied)
    assert replay.get("/track/case").status_code == 302  # the session ended on the server, not just here
    open_case(client, reported.code)
    assert client.get("/track/case").status_code == 200  # the receipt code still opens the case


def test_a_link_from_elsewhere_cannot_end_the_case_sessions(client, reported):
    """A page elsewhere links to the exit with a made-up token: this browser forgets the case (it may be someone
    in a hurry), but other sessions of the case live on: no one else can end them."""
    open_case(client, reported.code)
    copied = client.get_cookie("session").value
    response = client.get("/track/leave-quickly?t=forged")
    assert response.status_code == 303 and response.headers["Location"] == "https://www.google.com/"
    assert client.get("/track/case").status_code == 302
    other_device = client.application.test_client()
    other_device.set_cookie("session", copied)
    assert other_device.get("/track/case").status_code == 200


def test_pages_without_a_form_or_an_open_case_start_no_session(client):
    for path in ("/", "/privacy"):
        client.get(path)
    assert client.get_cookie("session") is None


def test_receipt_page(client):
    post_report(client)
    assert_quick_exit(client.get("/report/received").get_data(as_text=True))


def test_staff_pages_do_not_carry_it(client):
    assert "quick-exit" not in client.get("/login").get_data(as_text=True)
