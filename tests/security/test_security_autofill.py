"""What a browser keeps of the forms where a complaint is typed: nothing.

A complainant often reports from a shared phone, an internet café or a phone the person complained about can pick
up; a committee member types complaints on the office computer, one complainant after another. A field whose
autofill is not off is kept in the browser's form history (offered to the next person who types in a field of that
kind, on any site) and restored when Back is pressed, after sending or after the quick exit. A field's own
`autocomplete` wins over its form's, so `autocomplete="tel"` inside `<form autocomplete="off">` is kept.
"""
from __future__ import annotations

from html.parser import HTMLParser

import pytest

from civicwatch.accounts.models import Role
from tests.conftest import csrf_token
from tests.factories import staff_client
from tests.security.conftest import send_report, track

# Controls whose typed value a browser remembers; hidden fields, buttons, boxes and files it does not.
REMEMBERED_TYPES = {"text", "tel", "email", "search", "url", "number", "date", "datetime-local", "month", "week",
                    "time", "password"}


class FormControls(HTMLParser):
    """Each named control inside a form, with the autofill it ends up with (its own, else its form's, else on)."""

    def __init__(self) -> None:
        super().__init__()
        self.form_autocomplete: str | None = None
        self.in_form = False
        self.controls: list[tuple[str, str, str]] = []  # (form action, name, effective autocomplete)
        self.action = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.in_form = True
            self.action = values.get("action", "")
            self.form_autocomplete = values.get("autocomplete")
            return
        if not self.in_form or "name" not in values:
            return
        remembered = tag in ("textarea", "select") or (
            tag == "input" and values.get("type", "text").lower() in REMEMBERED_TYPES)
        if remembered:
            own = values.get("autocomplete")
            effective = own if own is not None else (self.form_autocomplete or "on")
            self.controls.append((self.action, values["name"], effective.strip().lower()))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.in_form = False
            self.form_autocomplete = None


def remembered_fields(html: str) -> list[tuple[str, str, str]]:
    parser = FormControls()
    parser.feed(html)
    return parser.controls


def assert_nothing_remembered(html: str, page: str) -> None:
    controls = remembered_fields(html)
    assert controls, f"{page}: no form fields found"
    kept = [(action or page, name, autocomplete) for action, name, autocomplete in controls if autocomplete != "off"]
    assert not kept, f"{page}: the browser keeps what is typed in {kept}"


def test_the_report_form_leaves_nothing_in_the_browser(client):
    html = client.get("/report").get_data(as_text=True)
    assert 'name="phone"' in html and 'name="email"' in html
    assert_nothing_remembered(html, "/report")


def test_a_report_form_sent_back_with_an_error_leaves_nothing_either(client):
    """The page that refuses a report shows back what was typed, phone included."""
    data = {"csrf_token": csrf_token(client, "/report"), "text": "", "contact_choice": "contact",
            "phone": "+23276123456", "email": "someone@example.org", "consent": "y"}
    response = client.post("/report", data=data)
    assert response.status_code == 400
    assert_nothing_remembered(response.get_data(as_text=True), "/report (refused)")


def test_the_follow_up_pages_leave_nothing_in_the_browser(app, client):
    assert_nothing_remembered(client.get("/track").get_data(as_text=True), "/track")
    reported = send_report(app, "autofill")
    assert track(client, reported.code).status_code == 303
    assert_nothing_remembered(client.get("/track/case").get_data(as_text=True), "/track/case")


@pytest.mark.parametrize("role", [Role.COMMUNITY, Role.TRIAGE])
def test_the_assisted_form_leaves_nothing_for_the_next_complainant(app, make_user, role):
    """The office computer: one complainant's village must not be offered while the next one's is typed."""
    member = make_user(role, "community_southern" if role is Role.COMMUNITY else None)
    html = staff_client(app, member).get("/staff/assisted/").get_data(as_text=True)
    assert 'name="location_text"' in html
    assert_nothing_remembered(html, "/staff/assisted/")
