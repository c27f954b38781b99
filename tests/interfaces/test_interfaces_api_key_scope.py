"""What an Open311 api_key can do: send complaints (POST /open311/v2/requests), and nothing else. There is one
kind of key and it has one use, so it needs no scopes: reading published answers needs no key and a key reads
nothing more; a key opens no staff page and passes no form's CSRF check, wherever it is sent (form field, query
or Authorization header)."""
from __future__ import annotations

import pytest
from flask import Flask

from civicwatch.cases.models import CaseStatus
from tests.interfaces.conftest import COMPLAINT

CREATE = "interfaces.requests_create"


def _with_key(secret: str) -> dict:
    return {"headers": {"Authorization": f"Bearer {secret}", "X-Api-Key": secret}}


@pytest.fixture
def published(new_case, publish):
    case = new_case(CaseStatus.CLOSED, theme="corruption")
    publish(case)
    return case


@pytest.mark.parametrize("path", ["/open311/v2/requests.json", "/open311/v2/services.json",
                                  "/open311/v2/discovery.json", "/api/openapi.json"])
def test_a_key_reads_nothing_more_than_anyone_can(client, api_key, published, path):
    without = client.get(path)
    given = client.get(path, query_string={"api_key": api_key}, **_with_key(api_key))
    assert without.status_code == given.status_code == 200
    assert given.get_data() == without.get_data()


def test_a_published_request_reads_the_same_with_or_without_a_key(client, api_key, published):
    path = f"/open311/v2/requests/{published.reference}.json"
    assert client.get(path).get_json() == client.get(path, query_string={"api_key": api_key}).get_json()


def _parameterless_get_pages(app: Flask) -> list[str]:
    return sorted(str(rule) for rule in app.url_map.iter_rules()
                  if "GET" in rule.methods and not rule.arguments and str(rule).startswith(("/staff", "/account")))


def test_a_key_opens_no_staff_page(app, client, api_key):
    pages = _parameterless_get_pages(app)
    assert "/staff/api-keys" in pages and "/staff/users" in pages
    for path in pages:
        response = client.get(path, query_string={"api_key": api_key}, **_with_key(api_key))
        assert response.status_code == 302 and "/login" in response.location, path


def test_a_key_sends_no_staff_form_and_no_other_post(app, client, api_key):
    """Every POST but the Open311 one, sent with the key and without a CSRF token: refused, never done."""
    posts = [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods and rule.endpoint != CREATE]
    assert posts
    for rule in posts:
        path = str(rule)
        for name in rule.arguments:
            path = path.replace(f"<int:{name}>", "1").replace(f"<{name}>", "x")
        path = path.replace("<any(json, xml):fmt>", "json").replace("<path:anything>", "x")
        response = client.post(path, data={**COMPLAINT, "api_key": api_key}, **_with_key(api_key))
        assert response.status_code in (302, 400, 401, 403, 404, 405, 413, 415), (path, response.status_code)
        if response.status_code == 302:
            assert "/login" in response.location, path


def test_the_key_does_send_a_complaint(client, api_key):
    response = client.post("/open311/v2/requests.json", data={**COMPLAINT, "api_key": api_key})
    assert response.status_code == 200 and response.get_json()[0]["token"]
