"""The /report form through real HTTP: every field's checks, CSRF, honeypot, confirmation shown once."""
from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from civicwatch.cases.identity import contact_of
from civicwatch.cases.models import Case, CaseEvent, CaseStatus, Channel
from civicwatch.extensions import db
from tests.conftest import csrf_token
from tests.intake.conftest import WHAT_HAPPENED, post_report, report_and_read_receipt


def case_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


def test_form_is_accessible_and_complete(client):
    response = client.get("/report")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert 'enctype="multipart/form-data"' in html and "novalidate" in html
    for label_for in ("text", "incident_date", "area", "location_text", "attachments", "phone", "email",
                      "consent"):
        assert f'<label for="{label_for}"' in html, label_for
    assert html.count("<legend>") >= 4 and '<fieldset class="choices section' in html
    assert '<optgroup label="Southern Province">' in html and 'value="district:bo"' in html
    assert 'value="region:eastern"' in html
    assert re.search(r'<input checked[^>]*value="anonymous"', html)  # staying anonymous is the default
    for actor in ("police", "military", "intelligence", "corrections", "border", "unknown"):
        assert f'value="{actor}"' in html, actor
    assert 'class="honeypot" aria-hidden="true"' in html and 'tabindex="-1"' in html
    assert 'accept="image/jpeg,image/png,application/pdf"' in html
    assert "<script>" not in html and " style=" not in html


def test_valid_report_is_stored_and_confirmed_once(client):
    response = post_report(client, incident_date="2026-01-05", area="district:kenema", location_text="Tongo",
                           reported_actor="police", contact_choice="contact", phone="+232 76 123 456",
                           email="me@example.org")
    assert response.status_code == 303 and response.headers["Location"] == "/report/received"
    case = db.session.scalars(select(Case)).one()
    assert case.text == WHAT_HAPPENED and case.channel is Channel.WEB and case.status is CaseStatus.RECEIVED
    assert case.incident_date == dt.date(2026, 1, 5)
    assert (case.region.code, case.district.code, case.location_text) == ("eastern", "kenema", "Tongo")
    assert case.reported_actor == "police"
    assert contact_of(case) == {"phone": "+23276123456", "email": "me@example.org"}
    assert db.session.scalar(select(CaseEvent.kind).where(CaseEvent.case_id == case.id)) == "received"

    first = client.get("/report/received")
    page = first.get_data(as_text=True)
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-store"
    code = re.search(r'id="receipt-code">([\d ]+)<', page).group(1)
    assert case.reference in page and "only time it is shown" in page
    second = client.get("/report/received")
    assert second.status_code == 410
    assert code not in second.get_data(as_text=True) and case.reference not in second.get_data(as_text=True)


def test_confirmation_is_printable_without_navigation(client, app):
    post_report(client)
    html = client.get("/report/received").get_data(as_text=True)
    assert 'class="intake receipt-page"' in html and 'class="receipt-slip"' in html
    assert 'class="warning-box no-print"' in html
    assert "/static/js/intake.js" in html and "data-print hidden" in html  # the button needs JavaScript
    css = (Path(app.static_folder) / "css" / "site.css").read_text()
    assert ".receipt-page > *:not(.receipt-slip):not(.panel-done) { display: none; }" in css
    assert ".site-header, .site-footer, .no-print { display: none; }" in css


def test_region_alone_and_optional_fields_left_empty(client):
    post_report(client, area="region:western_area")
    case = db.session.scalars(select(Case)).one()
    assert case.region.code == "western_area" and case.district is None
    assert case.incident_date is None and case.location_text is None and case.reported_actor is None
    assert case.identity is None


TOMORROW = object()  # resolved inside the test, from the clock fixture


@pytest.mark.parametrize("changes, message", [
    ({"text": ""}, "Tell us what happened."),
    ({"text": "   "}, "Tell us what happened."),
    ({"text": "Too short."}, "Write at least 20 characters"),
    ({"text": "\u200b\u200c\u200d\u2060\ufeff\u202e\u200e " * 10}, "Tell us what happened."),  # nothing shows
    ({"text": "They beat me" + "\u200b" * 20}, "Write at least 20 characters"),  # zero-width padding
    ({"text": "x" * 5001}, "Write at most 5,000 characters (you wrote 5,001)."),
    ({"incident_date": "31/02/2026"}, "Enter the date as day/month/year"),
    ({"incident_date": "yesterday"}, "Enter the date as day/month/year"),
    ({"incident_date": TOMORROW}, "The date cannot be in the future."),
    ({"incident_date": "1901-01-01"}, "Give a date after 1960."),
    ({"area": "district:atlantis"}, "Choose a district from the list."),
    ({"area": "region:atlantis"}, "Choose a region from the list."),
    ({"area": "galaxy:far"}, "Choose a region from the list."),
    ({"location_text": "y" * 501}, "Write at most 500 characters"),
    ({"reported_actor": "aliens"}, "Choose who was involved from the list"),
    ({"contact_choice": "contact"}, "Give a phone number or an email address, or choose to stay anonymous."),
    ({"contact_choice": "anonymous", "phone": "076 123 456"}, "You chose to stay anonymous"),
    ({"contact_choice": "carrier pigeon"}, "Choose whether we may contact you."),
    ({"contact_choice": "contact", "phone": "12345"}, "Check the phone number"),
    ({"contact_choice": "contact", "phone": "+1 (555) not"}, "Check the phone number"),
    ({"contact_choice": "contact", "phone": "9" * 60}, "Check the phone number"),
    ({"contact_choice": "contact", "email": "me@"}, "Check the email address"),
    ({"contact_choice": "contact", "email": "a" * 250 + "@example.org"}, "That email address is too long."),
    ({"consent": None}, "Tick the box to say you have read the privacy notice."),
])
def test_each_field_is_checked(client, clock, changes, message):
    tomorrow = (clock.now.date() + dt.timedelta(days=1)).isoformat()  # from the test's clock, not collection time
    response = post_report(client, **{k: (tomorrow if v is TOMORROW else v) for k, v in changes.items()})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'class="error-summary"' in html and message in html
    assert case_count() == 0


def test_errors_keep_what_was_typed_and_link_to_fields(client):
    response = post_report(client, text="short", location_text="Near the market", area="district:bo",
                           reported_actor="military")
    html = response.get_data(as_text=True)
    assert '<a href="#text">' in html
    assert 'aria-invalid="true"' in html and 'id="text-error"' in html
    assert re.search(r">\s*short</textarea>", html)
    assert 'value="Near the market"' in html
    assert 'value="district:bo" selected' in html
    assert re.search(r'<input checked[^>]*value="military"', html)
    assert "<title>Error: Report a concern" in html


def test_a_long_account_is_given_back_whole_with_how_much_to_cut(client):
    """The box has no maxlength (a browser would cut a paste silently): the server refuses a text over the limit,
    says by how much, and keeps every word of it in the box."""
    account = ("They came at night and took my brother from the house. " * 95).strip()
    assert len(account) > 5000
    response = post_report(client, text=account)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="text-error"' in html
    assert f"{len(account):,}" in html and "5,000" in html
    assert account + "</textarea>" in html
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def _tag(html: str, element_id: str) -> str:
    match = re.search(rf'<(?:textarea|input)[^>]*\bid="{element_id}"[^>]*>', html)
    assert match, element_id
    return match.group(0)


def test_aria_invalid_only_on_fields_with_errors(client):
    """A field without errors carries no aria-invalid at all (not "None", which axe reads as invalid)."""
    fresh = client.get("/report").get_data(as_text=True)
    assert '"None"' not in fresh
    assert "aria-invalid" not in _tag(fresh, "text") and "aria-invalid" not in _tag(fresh, "attachments")
    wrong = post_report(client, text="short").get_data(as_text=True)
    assert '"None"' not in wrong
    assert 'aria-invalid="true"' in _tag(wrong, "text") and "aria-invalid" not in _tag(wrong, "attachments")


def test_follow_up_reply_field_has_no_aria_invalid_none(client):
    reported = report_and_read_receipt(client)
    token = csrf_token(client, "/track")
    client.post("/track", data={"csrf_token": token, "code": reported.code})
    page = client.get("/track/case").get_data(as_text=True)
    assert '"None"' not in page and "aria-invalid" not in _tag(page, "attachments")


def test_dates_in_several_formats(client):
    post_report(client, incident_date="05/01/2026")
    assert db.session.scalar(select(Case.incident_date)) == dt.date(2026, 1, 5)


def test_control_characters_are_removed(client):
    post_report(client, text=WHAT_HAPPENED + "\x00\x07", location_text="Bo\x00")
    case = db.session.scalars(select(Case)).one()
    assert case.text == WHAT_HAPPENED and case.location_text == "Bo"


def test_post_without_csrf_token_is_refused(client):
    client.get("/report")
    response = client.post("/report", data={"text": WHAT_HAPPENED, "consent": "y",
                                             "contact_choice": "anonymous"})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert case_count() == 0


def test_post_with_a_token_from_another_session_is_refused(client, app):
    other = app.test_client()
    foreign_token = csrf_token(other, "/report")
    client.get("/report")
    response = post_report(client, token=foreign_token)
    assert response.status_code == 400 and case_count() == 0


def test_honeypot_refuses_robots_without_storing(client, caplog):
    caplog.set_level(logging.INFO, logger="civicwatch.intake")
    response = post_report(client, website="http://spam.example")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This form could not be accepted." in html
    assert "spam.example" not in html
    assert case_count() == 0
    assert "honeypot" in caplog.text


def test_two_reports_get_different_codes_and_references(client):
    first = report_and_read_receipt(client)
    second = report_and_read_receipt(client)
    assert first.code != second.code and first.reference != second.reference


def test_report_survives_a_failing_classifier(client, monkeypatch):
    import civicwatch.routing.operations as routing

    def explode(case):
        raise RuntimeError("model file is corrupt")

    monkeypatch.setattr(routing, "route_new_case", explode)
    reported = report_and_read_receipt(client)
    db.session.refresh(reported.case)
    assert reported.case.body_id is None
    assert reported.case.routing_explanation["decision"] == "triage"


def test_errors_found_only_by_the_operation_are_shown_next_to_their_field(client, monkeypatch):
    from civicwatch.intake import operations

    def refuse(value, today=None):
        raise operations.SubmissionError("date_too_early", "incident_date", year="2026")

    monkeypatch.setattr(operations, "check_incident_date", refuse)  # the form's own check still passes
    response = post_report(client, incident_date="2026-01-05")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert '<p class="error" id="incident_date-error">Give a date after 2026.</p>' in html
    assert '<a href="#incident_date">Give a date after 2026.</a>' in html
    assert case_count() == 0
