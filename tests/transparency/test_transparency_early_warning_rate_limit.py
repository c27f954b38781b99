"""Each client may download the early-warning open data only so many times a minute (OPEN_DATA_DOWNLOAD_RATE_LIMIT,
10 a minute, in the limiter's storage that every process shares), as the published answers: every download reads
the allegations, so a script in a loop is asked to wait (429 with Retry-After and plain words)."""
from __future__ import annotations

import pytest

from tests.served import browser

PATHS = ("/transparency/early-warning.csv", "/transparency/early-warning.json")


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config.update(RATELIMIT_ENABLED=True)  # the tests' configuration turns the limiter off
    return app_config


def test_the_eleventh_early_warning_download_in_a_minute_is_refused(app):
    client = browser(app)
    statuses = [client.get(PATHS[i % 2]).status_code for i in range(10)]  # the two files share the limit
    assert statuses == [200] * 10
    for path in PATHS:
        limited = client.get(path)
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
        assert "Please wait a few minutes before trying again." in limited.get_data(as_text=True)
        assert "attachment" not in limited.headers.get("Content-Disposition", "")
    other = browser(app).get(PATHS[0], environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert other.status_code == 200  # another client
