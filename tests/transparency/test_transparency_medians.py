"""Medians of durations against the filters: a median is a figure about the cases behind it, so two published
medians must never describe groups of cases that differ by a small number of cases."""
from __future__ import annotations

import datetime as dt

import pytest

from civicwatch.cases.models import CaseStatus
from civicwatch.database import set_clock

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
RECEIVED = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen_clock():
    set_clock(lambda: NOW)
    yield NOW
    set_clock(None)


def acknowledged_case(new_case, theme: str, hours: int, region: str = "eastern") -> None:
    new_case(CaseStatus.INVESTIGATING, body="police_oversight", theme=theme, region=region, created_at=RECEIVED,
             acknowledged_at=RECEIVED + dt.timedelta(hours=hours))


def median_to_acknowledge(client, query: str) -> float | None:
    data = client.get(f"/transparency/statistics.json?{query}").get_json()
    return data["overall"]["median_days"]["to_acknowledge"]


def test_a_theme_filter_does_not_give_away_the_one_case_of_another_theme(client, new_case, frozen_clock):
    """Ten complaints of misconduct at the police oversight body in March, half acknowledged within the hour and
    half after thirty hours, and one complaint of corruption there, acknowledged within the hour. The body's median
    and its median for misconduct alone describe groups that differ by that one complaint: published side by
    side (0.0 days against 1.3 days), they told that the lone corruption complaint was acknowledged faster than the
    others, while its count was "fewer than 5"."""
    for hours in [0] * 5 + [30] * 5:
        acknowledged_case(new_case, "misconduct", hours)
    acknowledged_case(new_case, "corruption", 0)
    whole = median_to_acknowledge(client, "body=police_oversight&period=2026")
    misconduct = median_to_acknowledge(client, "body=police_oversight&theme=misconduct&period=2026")
    data = client.get("/transparency/statistics.json?body=police_oversight&period=2026").get_json()
    corruption = next(theme for theme in data["themes"] if theme["code"] == "corruption")
    assert corruption["counts"]["received"] is None  # the lone complaint itself is protected
    assert whole is None or misconduct is None, (whole, misconduct)


def test_a_region_filter_does_not_give_away_the_one_case_of_another_region(client, new_case, frozen_clock):
    for hours in [0] * 5 + [30] * 5:
        acknowledged_case(new_case, "misconduct", hours, region="eastern")
    acknowledged_case(new_case, "misconduct", 0, region="northern")
    whole = median_to_acknowledge(client, "body=police_oversight&period=2026")
    eastern = median_to_acknowledge(client, "body=police_oversight&region=eastern&period=2026")
    assert whole is None or eastern is None, (whole, eastern)


def test_medians_of_groups_apart_by_enough_cases_are_both_published(client, new_case, frozen_clock):
    for hours in [0] * 5 + [30] * 5:
        acknowledged_case(new_case, "misconduct", hours)
    for _ in range(5):
        acknowledged_case(new_case, "corruption", 0)
    whole = median_to_acknowledge(client, "body=police_oversight&period=2026")
    misconduct = median_to_acknowledge(client, "body=police_oversight&theme=misconduct&period=2026")
    assert whole is not None and misconduct is not None and whole < misconduct
