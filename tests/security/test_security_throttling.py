"""Rate limits, switched on as in production: password guessing, receipt guessing and report flooding
from one address are cut off with 429 (the per-account and per-client lockouts are tested elsewhere)."""
from __future__ import annotations

import pytest

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from tests.conftest import csrf_token
from tests.security.conftest import post_multipart, report_fields


@pytest.fixture
def app_config(app_config):
    app_config.update({"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "4 per minute",
                       "TRACK_RATE_LIMIT": "4 per minute", "REPORT_RATE_LIMIT": "3 per minute"})
    return app_config


def test_sign_in_guessing_is_rate_limited(client):
    statuses = [client.post("/login", data={"csrf_token": csrf_token(client), "email": f"u{i}@example.org",
                                            "password": "guess guess guess"}).status_code for i in range(6)]
    assert statuses[:4] == [401] * 4 and statuses[4:] == [429, 429]


def test_second_factor_guessing_is_rate_limited(client):
    statuses = [client.post("/login/verify", data={"csrf_token": csrf_token(client), "code": "000000"}).status_code
                for _ in range(6)]
    assert statuses[-1] == 429


def test_receipt_guessing_is_rate_limited(client):
    statuses = [client.post("/track", data={"csrf_token": csrf_token(client, "/track"),
                                            "code": f"{i:016d}"}).status_code for i in range(6)]
    assert statuses[-1] == 429


def test_report_flooding_is_rate_limited(client):
    statuses = []
    for i in range(5):
        fields = report_fields(f"flood-{i}")
        fields["csrf_token"] = csrf_token(client, "/report")
        statuses.append(post_multipart(client, "/report", fields).status_code)
    assert statuses[:3] == [303] * 3 and statuses[3:] == [429, 429]
    assert db.session.query(Case).count() == 3
