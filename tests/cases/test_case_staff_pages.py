"""Staff pages as a first-time user meets them: queues without false errors, plain messages."""
from __future__ import annotations

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus


def test_a_queue_opened_without_filters_shows_no_errors(make_case, make_user, signed_in):
    make_case(CaseStatus.TRIAGED)
    for role in (Role.TRIAGE, Role.INVESTIGATOR, Role.ADMIN):
        client = signed_in(make_user(role))
        html = client.get("/staff/cases").get_data(as_text=True)
        assert "Not a valid choice" not in html and 'aria-invalid' not in html
        assert "<details class=\"filters\">" in html  # closed: nothing to show
        html = client.get("/staff/cases?queue=all&status=&urgency=").get_data(as_text=True)
        assert "Not a valid choice" not in html


def test_a_bad_status_in_the_address_is_still_shown_beside_its_field(make_user, signed_in):
    client = signed_in(make_user(Role.TRIAGE))
    html = client.get("/staff/cases?queue=all&status=lost").get_data(as_text=True)
    assert "Not a valid choice" in html
