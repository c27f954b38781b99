"""The public figures between two refreshes of the rollup: they are those of the last refresh, whatever happened to
the cases since (the worker refreshes the rollup every minute, or later when it is behind)."""
from __future__ import annotations

import datetime as dt

import pytest

from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from civicwatch.transparency.rollup import refresh_statistics


@pytest.fixture
def app_config(app_config):
    app_config["STATISTICS_REFRESH_ON_PAGE_VIEW"] = False  # as in production: the worker refreshes the rollup
    return app_config


def test_between_two_refreshes_no_figure_moves(app, client, new_case, clock):
    """The figures are those of the last refresh of the rollup, and the page says so. Under a theme or region
    filter the medians were read from the cases as they are now: when one complaint of misconduct was acknowledged
    after the refresh, the police body's median for misconduct moved from 1.3 days to 0.0 at once, while every
    count and the median without a filter stayed, so anyone watching the page learnt when that one complaint was
    acknowledged and that it was fast."""
    received = clock.now - dt.timedelta(days=10)
    for hours in [0] * 5 + [30] * 5:
        new_case(CaseStatus.INVESTIGATING, body="police_oversight", theme="misconduct", created_at=received,
                 acknowledged_at=received + dt.timedelta(hours=hours))
    waiting = new_case(CaseStatus.RECEIVED, body="police_oversight", theme="misconduct",
                       created_at=clock.now - dt.timedelta(minutes=30))
    refresh_statistics()
    db.session.commit()
    query = "/transparency/statistics.json?body=police_oversight&theme=misconduct&period=2026"
    before = client.get(query).get_json()
    assert before["overall"]["median_days"]["to_acknowledge"] == 1.3
    clock.advance(minutes=5)
    waiting.status, waiting.acknowledged_at = CaseStatus.ACKNOWLEDGED, clock.now
    db.session.commit()
    assert client.get(query).get_json() == before
