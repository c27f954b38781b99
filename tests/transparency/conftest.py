"""The statistics tests use the publishing fixtures: cases stored with chosen dates, staff browsers, and answers
published through the staff pages."""
import datetime as dt

import pytest

from civicwatch.cases.models import CaseStatus
from tests.publishing.conftest import browser_for, new_case, publish  # noqa: F401


@pytest.fixture
def six_closed_in_february(new_case, clock) -> None:
    """Six closed cases received on 3 February 2026, the statistics read on 15 June 2026 at noon."""
    clock.now = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
    for _ in range(6):
        new_case(CaseStatus.CLOSED, created_at=dt.datetime(2026, 2, 3, tzinfo=dt.UTC))
