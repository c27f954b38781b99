"""The audit log's date filters at the calendar's end are a page, not a 500."""
from __future__ import annotations

import pytest

from civicwatch.accounts.models import Role
from tests.factories import staff_client


@pytest.mark.parametrize("query", ["until=9999-12-31", "since=2026-01-01&until=9999-12-31"])
def test_the_last_day_of_the_calendar_as_until_is_not_a_server_error(app, make_user, query):
    auditor = staff_client(app, make_user(Role.AUDITOR))
    response = auditor.get(f"/staff/audit/?{query}")
    assert response.status_code in (200, 400), response.status_code
