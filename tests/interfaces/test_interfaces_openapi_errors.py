"""Every refusal the Open311 POST answers is one its OpenAPI description declares: the status among the
operation's responses, the error_code in the documented list (a client generated from the description checks
both, and fails on a value it was never told of)."""
from __future__ import annotations

import uuid

from civicwatch.intake.idempotency import RECEIPT_WINDOW
from tests.interfaces.conftest import COMPLAINT


def assert_documented(client, response) -> None:
    document = client.get("/api/openapi.json").get_json()
    declared = document["paths"]["/open311/v2/requests.json"]["post"]["responses"]
    assert str(response.status_code) in declared, f"{response.status_code} is not among {sorted(declared)}"
    codes = document["components"]["schemas"]["Open311Error"]["properties"]["error_code"]["enum"]
    for error in response.get_json():
        assert error.get("error_code", codes[0]) in codes, f"{error['error_code']} is not a documented error_code"


def test_a_reused_idempotency_key_is_a_documented_refusal(client, api_key, clock):
    key = str(uuid.uuid4())
    headers = {"Idempotency-Key": key}
    assert client.post("/open311/v2/requests.json", data={"api_key": api_key, **COMPLAINT},
                       headers=headers).status_code == 200
    reused = client.post("/open311/v2/requests.json", headers=headers,
                         data={"api_key": api_key, **COMPLAINT, "description": "Soldiers beat my brother."})
    assert reused.status_code == 422
    assert_documented(client, reused)
    clock.advance(seconds=RECEIPT_WINDOW.total_seconds() + 1)
    late = client.post("/open311/v2/requests.json", data={"api_key": api_key, **COMPLAINT}, headers=headers)
    assert late.status_code == 409
    assert_documented(client, late)


def test_a_body_too_large_is_a_documented_refusal(client, api_key):
    response = client.post("/open311/v2/requests.json",
                           data={"api_key": api_key, **COMPLAINT, "description": "x" * 200_000})
    assert response.status_code == 413
    assert_documented(client, response)
