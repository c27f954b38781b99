"""Rate limits, switched on as in production: password guessing, receipt guessing and report flooding
from one address are cut off with 429 (the per-account and per-client lockouts are tested elsewhere)."""
from __future__ import annotations

import logging

import pytest

from civicwatch.cases.models import Case
from civicwatch.extensions import db, limiter
from tests.conftest import csrf_token
from tests.factories import post_multipart
from tests.security.conftest import report_fields


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


@pytest.mark.parametrize("address, shown_as", [("203.0.113.77", ("203.0.113.77",)),
                                               ("2001:db8:1234:5678::77", ("2001:db8", "2001:0db8"))])
def test_no_log_line_and_no_stored_limit_carries_the_client_address(app, client, caplog, address, shown_as):
    """Flask-Limiter logs the key of every limit a client exceeds, and keeps it in its storage: the key was
    the client's address. Every rate-limited form, past its limit, with everything logged."""
    client.environ_base["REMOTE_ADDR"] = address
    statuses = set()
    with caplog.at_level(logging.DEBUG):
        for _ in range(5):
            statuses.add(client.post("/login", data={"csrf_token": csrf_token(client), "password": "guess guess",
                                                     "email": "someone@example.org"}).status_code)
            statuses.add(client.post("/track", data={"csrf_token": csrf_token(client, "/track"),
                                                     "code": "1234123412341234"}).status_code)
            statuses.add(post_multipart(client, "/report", {**report_fields("logs"),
                                                            "csrf_token": csrf_token(client, "/report")}).status_code)
    assert 429 in statuses
    assert "exceeded" in caplog.text  # the limiter did log its breaches
    stored = " ".join(str(key) for key in limiter.storage.storage)  # the memory storage's keys
    assert stored
    for text in (caplog.text, stored):
        assert not any(shown.lower() in text.lower() for shown in shown_as)
