"""Errors on the interfaces blueprint: Open311 paths answer in the spec's format even when the error comes from
the rate limiter or the request size; the administrators' API keys page, on the same blueprint, keeps the
application's error pages."""
from __future__ import annotations

import pytest
from sqlalchemy import event, select

from civicwatch.accounts.models import Role
from civicwatch.extensions import db
from civicwatch.interfaces.models import ApiKey
from civicwatch.interfaces.operations import issue_api_key, revoke_api_key
from tests.conftest import csrf_token_from


@pytest.fixture
def app_config(app_config):
    app_config.update({"RATELIMIT_ENABLED": True, "OPEN311_RATE_LIMIT": "2 per minute",
                       "OPEN311_READ_RATE_LIMIT": "3 per minute",
                       "MAX_CONTENT_LENGTH": 64 * 1024})
    return app_config


def test_open311_rate_limit_answers_in_the_spec_format(client, api_key):
    form = {"api_key": api_key, "service_code": "corruption", "description": "Officers took money at the border."}
    statuses = [client.post("/open311/v2/requests.json", data=form).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = client.post("/open311/v2/requests.xml", data=form)
    assert limited.status_code == 429 and limited.content_type == "text/xml; charset=utf-8"
    assert "<code>429</code>" in limited.get_data(as_text=True)


def test_open311_reads_are_rate_limited_too(client):
    statuses = [client.get("/open311/v2/requests.json?start_date=2026-03-01T00:00:00Z").status_code
                for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.get("/open311/v2/requests/CW-2026-000001.json").status_code == 429


def test_open311_too_large_answers_in_the_spec_format(client, api_key):
    response = client.post("/open311/v2/requests.json", data={"api_key": api_key, "service_code": "corruption",
                                                              "description": "x" * (100 * 1024)})
    assert response.status_code == 413
    assert response.get_json()[0]["code"] == 413


def test_the_api_keys_page_keeps_the_application_error_pages(make_user, browser_for):
    admin = browser_for(make_user(Role.ADMIN))
    page = admin.get("/staff/api-keys").get_data(as_text=True)
    missing = admin.post("/staff/api-keys/999999/revoke", data={"csrf_token": csrf_token_from(page)})
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    issue_api_key("Old app", None)
    key = db.session.scalar(select(ApiKey))
    revoke_api_key(key, None)
    db.session.commit()
    again = admin.post(f"/staff/api-keys/{key.id}/revoke", data={"csrf_token": csrf_token_from(page),
                                                                  "confirmed": "yes"})
    assert again.status_code == 409 and again.mimetype == "text/html" and "already revoked" in again.get_data(
        as_text=True)
    refused = browser_for(make_user(Role.TRIAGE)).get("/staff/api-keys")
    assert refused.status_code == 403 and refused.mimetype == "text/html"


@pytest.mark.parametrize("query", [
    "start_date=0001-01-01T00:00:00%2B01:00",  # a valid date and time whose UTC falls before year 1
    "end_date=9999-12-31T23:59:59Z",  # the end of its day falls after year 9999
])
def test_a_date_filter_at_the_edge_of_the_calendar_is_a_400(client, query):
    response = client.get(f"/open311/v2/requests.json?{query}")
    assert response.status_code == 400
    assert "must be from 1900-01-01 to 9998-12-31" in response.get_json()[0]["description"]


def test_a_list_of_service_codes_costs_one_search_per_known_code(client):
    statements = []

    def count(*args) -> None:
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        unknown = ",".join(f"code{i}" for i in range(99))
        assert client.get(f"/open311/v2/requests.json?service_code=corruption,{unknown}").status_code == 200
        assert len(statements) < 10, len(statements)
        too_many = ",".join(f"code{i}" for i in range(101))
        assert client.get(f"/open311/v2/requests.json?service_code={too_many}").status_code == 400
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
