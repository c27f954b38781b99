"""Staff input at the edges of what the database and the calendar can hold: a 4xx or the page, never a 500."""
from __future__ import annotations

import pytest

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus


def test_a_queue_filter_received_until_the_calendar_s_last_day_shows_the_queue(make_case, make_user, signed_in):
    case = make_case(CaseStatus.TRIAGED)
    client = signed_in(make_user(Role.TRIAGE))
    response = client.get("/staff/cases?queue=all&received_to=9999-12-31")
    assert response.status_code == 200 and case.reference in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/staff/cases/99999999999999999999", "/staff/cases/9223372036854775808/identity",
                                  "/staff/outbox/99999999999999999999999/retry"])
def test_an_id_too_large_for_the_database_is_not_found(make_case, make_user, signed_in, path):
    make_case(CaseStatus.INVESTIGATING)
    client = signed_in(make_user(Role.ADMIN))
    response = client.post(path) if path.endswith("/retry") else client.get(path)
    assert response.status_code == 404, response.status_code
