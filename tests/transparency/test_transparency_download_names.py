"""A statistics file says which figures it holds by its name. The CSV has no room for the period, the filters or
the day the early warning describes, and every download was called civicwatch-statistics.csv or
civicwatch-early-warning.csv: two downloads with different filters, or a week apart, saved as the same file (or
"(1)"), and nothing told them apart."""
from __future__ import annotations

import pytest


def _name(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    response.get_data()
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="') and disposition.endswith('"')
    return disposition.removeprefix('attachment; filename="')[:-1]


@pytest.mark.parametrize("query, stem", [
    ("", "civicwatch-statistics-2026-01-to-2026-06"),  # the statistics begin with the first case's year
    ("period=2026", "civicwatch-statistics-2026-01-to-2026-12"),
    ("period=all", "civicwatch-statistics-2026-01-onwards"),
    ("from_month=2026-02&to_month=2026-03&body=police_oversight&theme=misconduct&region=eastern",
     "civicwatch-statistics-2026-02-to-2026-03-body-police_oversight-theme-misconduct-region-eastern"),
])
def test_a_statistics_file_is_named_by_its_months_and_filters(client, six_closed_in_february, query, stem):
    assert _name(client, f"/transparency/statistics.csv?{query}") == f"{stem}.csv"
    assert _name(client, f"/transparency/statistics.json?{query}") == f"{stem}.json"


def test_the_early_warning_is_named_by_its_day(client, six_closed_in_february):
    assert _name(client, "/transparency/early-warning.csv") == "civicwatch-early-warning-2026-06-15.csv"
    assert _name(client, "/transparency/early-warning.json") == "civicwatch-early-warning-2026-06-15.json"
