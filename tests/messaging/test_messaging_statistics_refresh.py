"""The public statistics are refreshed by the deliver worker, never by a public request."""
from __future__ import annotations

import pytest

from civicwatch.extensions import db
from civicwatch.transparency.models import StatisticsRefresh
from civicwatch.transparency.rollup import refresh_statistics


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config.update(STATISTICS_REFRESH_ON_PAGE_VIEW=False, STATISTICS_REFRESH_SECONDS=60)
    return app_config


def refreshed_at():
    db.session.expire_all()
    return db.session.get(StatisticsRefresh, 1).refreshed_at


def test_a_page_served_while_the_figures_are_stale_does_not_refresh_them_and_the_worker_does(
        app, client, clock, twilio_http):
    refresh_statistics()
    db.session.commit()
    built = clock.now
    clock.advance(minutes=5)  # the figures are stale now
    for path in ("/transparency", "/transparency/statistics.json", "/transparency/statistics.csv"):
        assert client.get(path).status_code == 200
    assert refreshed_at() == built
    result = app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--once"])
    assert result.exit_code == 0, result.output
    assert refreshed_at() == clock.now


def test_the_worker_leaves_fresh_figures_alone(app, clock, twilio_http):
    refresh_statistics()
    db.session.commit()
    built = clock.now
    clock.advance(seconds=30)
    assert app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--once"]).exit_code == 0
    assert refreshed_at() == built
