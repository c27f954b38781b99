"""Each client may download the statistics open data only so many times a minute (OPEN_DATA_DOWNLOAD_RATE_LIMIT, in
the limiter's storage that every process shares), as the published answers and the early warning, with its own
count: every download computes the figures of any period and filter asked for, so a script in a loop is asked to
wait (429 with Retry-After and plain words), and its downloads leave the other files' counts alone."""
from __future__ import annotations

import pytest

from tests.served import browser

PATHS = ("/transparency/statistics.csv", "/transparency/statistics.json")
EARLY_WARNING = "/transparency/early-warning.csv"


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config.update(RATELIMIT_ENABLED=True, OPEN_DATA_DOWNLOAD_RATE_LIMIT="3 per minute")
    return app_config


def test_the_fourth_statistics_download_in_a_minute_is_refused(app):
    client = browser(app)
    statuses = [client.get(path).status_code for path in (*PATHS, PATHS[0])]  # the two files share the limit
    assert statuses == [200, 200, 200]
    for path in PATHS:
        limited = client.get(path)
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
        assert "Please wait a few minutes before trying again." in limited.get_data(as_text=True)
        assert "attachment" not in limited.headers.get("Content-Disposition", "")
    assert client.get(EARLY_WARNING).status_code == 200  # its own count
    other = browser(app).get(PATHS[0], environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert other.status_code == 200  # another client


def test_early_warning_downloads_do_not_use_up_the_statistics_count(app):
    client = browser(app)
    assert [client.get(EARLY_WARNING).status_code for _ in range(3)] == [200] * 3
    assert client.get(PATHS[1]).status_code == 200
