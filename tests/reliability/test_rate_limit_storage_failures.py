"""The rate-limit storage production requires (Redis, shared by every process) failing: a report must not be lost
behind a 500, nor stored without its receipt, and staff can still sign in. Each process then counts in its own
memory until the storage is back."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from tests.conftest import PASSWORD, csrf_token
from tests.intake.conftest import post_report
from tests.reliability.redis_server import redis_server  # noqa: F401  (the fixture)


@pytest.fixture
def app_config(app_config, redis_server):  # noqa: F811
    app_config.update({"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": redis_server.url,
                       "REPORT_RATE_LIMIT": "3 per minute", "LOGIN_RATE_LIMIT": "10 per minute",
                       "PROPAGATE_EXCEPTIONS": False})  # as in production: an error becomes a response
    return app_config


def cases() -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


def test_limits_are_counted_in_the_shared_storage(client, redis_server):  # noqa: F811
    assert post_report(client).status_code == 303
    assert redis_server.client().dbsize() >= 1


def test_a_report_while_the_storage_is_down_is_stored_and_the_limit_still_holds(client, redis_server):  # noqa: F811
    redis_server.stop()
    for sent in range(1, 4):
        response = post_report(client, text=f"Soldiers at the Kambia checkpoint took my phone, report {sent}.")
        assert response.status_code == 303 and cases() == sent
    page = client.get("/report/received").get_data(as_text=True)
    assert re.search(r'id="receipt-code">\d{4} \d{4} \d{4} \d{4}<', page)
    refused = post_report(client, text="A fourth report inside the same minute.")
    assert refused.status_code == 429 and cases() == 3  # counted in this process's memory meanwhile


def test_staff_sign_in_while_the_storage_is_down(client, redis_server, make_user):  # noqa: F811
    user = make_user("admin")
    token = csrf_token(client)
    redis_server.stop()
    response = client.post("/login", data={"csrf_token": token, "email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def test_a_stored_report_gets_its_receipt_when_the_storage_refuses_writes(client, redis_server):  # noqa: F811
    """Out of memory with noeviction, or a replica after a failover: the limit is tested before the report is stored
    and counted after it (only stored reports count), when the case is already committed."""
    token = csrf_token(client, "/report")
    storage = redis_server.client()
    storage.config_set("maxmemory", "1")
    storage.config_set("maxmemory-policy", "noeviction")
    response = post_report(client, token=token)
    assert response.status_code == 303 and cases() == 1
    page = client.get("/report/received").get_data(as_text=True)
    assert re.search(r'id="receipt-code">\d{4} \d{4} \d{4} \d{4}<', page)
