"""Each client may download the published answers only so many times a minute (OPEN_DATA_DOWNLOAD_RATE_LIMIT, in
the limiter's shared storage): every download reads the whole table, so a script in a loop is asked to wait (429
with Retry-After and plain words) instead of wearing out the database and the temporary folder."""
from __future__ import annotations

from typing import Any

import pytest

from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from tests.served import browser

PATHS = ("/published/answers.csv", "/published/answers.json")


@pytest.fixture
def answered(new_case, publish) -> Any:
    publish(new_case(CaseStatus.CLOSED, theme="corruption"))
    db.session.close()


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config.update(RATELIMIT_ENABLED=True, OPEN_DATA_DOWNLOAD_RATE_LIMIT="3 per minute")
    return app_config


def test_a_client_downloading_too_often_is_asked_to_wait(app, answered):
    client = browser(app)
    statuses = [client.get(path).status_code for path in (*PATHS, PATHS[0])]
    assert statuses == [200, 200, 200]
    for path in PATHS:  # the two files share the limit
        limited = client.get(path)
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
        words = limited.get_data(as_text=True)
        assert "Please wait a few minutes before trying again." in words
        assert "attachment" not in limited.headers.get("Content-Disposition", "")
    assert browser(app).get(PATHS[0], environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 200  # another client
