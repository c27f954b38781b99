"""Every citizen page carries the quick exit: a plain link to a neutral site, with its script."""
from __future__ import annotations

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


def test_case_page(client, reported):
    open_case(client, reported.code)
    assert_quick_exit(client.get("/track/case").get_data(as_text=True))


def test_receipt_page(client):
    post_report(client)
    assert_quick_exit(client.get("/report/received").get_data(as_text=True))


def test_staff_pages_do_not_carry_it(client):
    assert "quick-exit" not in client.get("/login").get_data(as_text=True)
