"""A forged Host header (or X-Forwarded-Host behind a trusted proxy) never reaches what the app writes.

Public documents (open data, the feed, Open311, the OpenAPI description) may be kept by browsers and shared
caches for everyone: a host repeated from the request would send every reader of the cached copy to the
attacker's site. Absolute addresses come from PUBLIC_BASE_URL only.
"""
from __future__ import annotations

import pytest

from tests.conftest import csrf_token_from
from tests.factories import post_multipart
from tests.security.conftest import report_fields, rules_with

PUBLIC_BASE_URL = "https://civicwatch.example.org"
FORGED = "attacker.example"
OPEN311_DOCUMENTS = ("/open311/v2/discovery.json", "/open311/v2/discovery.xml", "/open311/v2/services.json",
                     "/open311/v2/services.xml", "/open311/v2/requests.json", "/open311/v2/requests.xml")


@pytest.fixture
def app_config(app_config):
    app_config.update(PUBLIC_BASE_URL=PUBLIC_BASE_URL, TRUSTED_PROXIES=1)
    return app_config


def forged(client, path: str):
    """The request as an attacker sends it: its own Host, and its own X-Forwarded-Host for the proxy."""
    return client.get(path, base_url=f"http://{FORGED}", headers={"X-Forwarded-Host": FORGED})


def assert_not_reflected(response, path: str) -> None:
    assert response.status_code < 500, path
    assert FORGED not in response.get_data(as_text=True), path
    assert FORGED not in str(response.headers), path


def test_no_public_page_or_document_repeats_a_forged_host(app, client):
    paths = [rule.rule for rule in rules_with(app, "GET") if "<" not in rule.rule] + list(OPEN311_DOCUMENTS)
    for path in paths:
        assert_not_reflected(forged(client, path), path)


def test_open_data_names_its_source_at_the_public_address(client):
    for path in ("/transparency/statistics.json", "/published/answers.json"):
        source = forged(client, path).get_json()["source"]
        assert source.startswith(PUBLIC_BASE_URL + "/"), (path, source)


def test_the_receipt_page_gives_the_public_follow_up_address(client):
    """The whole visit under the forged host (the browser keeps its cookies per host)."""
    headers = {"X-Forwarded-Host": FORGED}
    form = client.get("/report", base_url=f"http://{FORGED}", headers=headers).get_data(as_text=True)
    fields = {**report_fields(), "csrf_token": csrf_token_from(form)}
    sent = post_multipart(client, "/report", fields, base_url=f"http://{FORGED}", headers=headers)
    assert sent.status_code == 303, sent.get_data(as_text=True)[:500]
    page = forged(client, "/report/received")
    assert page.status_code == 200
    assert_not_reflected(page, "/report/received")
    assert f"{PUBLIC_BASE_URL}/track" in page.get_data(as_text=True)
