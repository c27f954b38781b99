"""The months a page or file names are the months its figures cover. Where the deployment's statistics begin
(STATISTICS_SINCE) inside the period asked for, the figures start there, and the page and the JSON said the
period asked for ("2026", "the last 12 months (July 2025 to June 2026)") above figures that leave out the cases
before the start."""
from __future__ import annotations

import datetime as dt

import pytest

from civicwatch.cases.models import CaseStatus
from civicwatch.database import set_clock

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def started_in_april(app, new_case):
    set_clock(lambda: NOW)
    for month in (2, 3, 4, 5):
        for day in range(5):
            new_case(CaseStatus.CLOSED, created_at=dt.datetime(2026, month, 2 + day, 9, tzinfo=dt.UTC))
    app.config["STATISTICS_SINCE"] = "2026-04"
    yield
    set_clock(None)


@pytest.mark.parametrize("query, label", [
    ("period=2026", "April 2026 to December 2026"),
    ("", "April 2026 to June 2026"),
    ("from_month=2026-01", "April 2026 onwards"),
    ("from_month=2026-02&to_month=2026-05", "April 2026 to May 2026"),
])
def test_the_period_named_is_the_period_counted(client, started_in_april, query, label):
    data = client.get(f"/transparency/statistics.json?{query}").get_json()
    assert data["period"]["first_month"] == "2026-04"
    assert data["overall"]["counts"]["received"] == 10  # April and May only
    assert data["period"]["label"] == label
    assert f"Complaints received in <strong>{label}</strong>" in client.get(f"/transparency?{query}").get_data(
        as_text=True)


def test_a_period_inside_the_statistics_keeps_its_own_name(client, started_in_april):
    data = client.get("/transparency/statistics.json?from_month=2026-04&to_month=2026-05").get_json()
    assert data["period"]["label"] == "April 2026 to May 2026"
    assert client.get("/transparency/statistics.json?period=all").get_json()["period"]["label"] == "all time"
