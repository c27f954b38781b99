"""The Open311 read operations are rate limited (OPEN311_READ_RATE_LIMIT): the 429 a client gets when it reads
too fast is a response the OpenAPI description declares for that operation, in its error format."""
from __future__ import annotations

import datetime as dt

import pytest

from civicwatch.cases.models import CaseStatus


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config.update(RATELIMIT_ENABLED=True, OPEN311_READ_RATE_LIMIT="2 per minute")
    return app_config


@pytest.fixture
def reference(new_case, publish) -> str:
    case = new_case(CaseStatus.CLOSED, theme="corruption", region="eastern",
                    created_at=dt.datetime(2026, 3, 4, 15, 30, tzinfo=dt.UTC))
    publish(case)
    return case.reference


@pytest.mark.parametrize("template, operation", [
    ("/open311/v2/requests.json", "/open311/v2/requests.json"),
    ("/open311/v2/requests/{reference}.json", "/open311/v2/requests/{service_request_id}.json"),
])
def test_a_rate_limited_read_answers_with_a_documented_status(app, client, reference, template, operation):
    path = template.format(reference=reference)
    statuses = [client.get(path).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = client.get(path)
    assert limited.status_code == 429
    body = limited.get_json()
    assert isinstance(body, list) and body and body[0]["code"] == 429 and body[0]["description"]
    documented = client.get("/api/openapi.json").get_json()["paths"][operation]["get"]["responses"]
    assert "429" in documented, f"GET {operation} answers 429 but documents only {sorted(documented)}"
