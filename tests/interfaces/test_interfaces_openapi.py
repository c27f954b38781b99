"""The OpenAPI description at /api/openapi.json, and the API checked against it with schemathesis: generated
requests to every operation, responses validated against the declared status codes, types and schemas."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
    unsupported_method,
)
from schemathesis.transport.wsgi import WSGI_TRANSPORT, urlencoded_serializer

from civicwatch.cases.models import CaseStatus
from civicwatch.database import utcnow

schema = schemathesis.pytest.from_fixture("api_schema")


class PerRequestContext:
    """Serve the app as production does: each request in its own application context and session."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        with self.app.app_context():
            return list(self.app(environ, start_response))


FORM = "application/x-www-form-urlencoded"


def encode_form(context, value):
    """Any generated form body as bytes. Negative generation makes pairs with odd keys, or no mapping at
    all, which the WSGI transport would hand to Werkzeug unencoded (and Werkzeug cannot build them)."""
    if isinstance(value, dict):
        value = list(value.items())
    if isinstance(value, list) and all(isinstance(item, (list, tuple)) and len(item) == 2 for item in value):
        return {"data": urlencode([(str(k), str(v)) for k, v in value]).encode()}
    return {"data": str(value).encode()}


@pytest.fixture(autouse=True)
def form_bodies_as_bytes():
    WSGI_TRANSPORT.serializer(FORM)(encode_form)
    yield
    WSGI_TRANSPORT.serializer(FORM)(urlencoded_serializer)


@pytest.fixture
def api_schema(app, clock, new_case, publish):
    publish(new_case(CaseStatus.CLOSED, theme="corruption", region="eastern",
                     created_at=utcnow() - dt.timedelta(days=30)))
    for _ in range(6):
        new_case(CaseStatus.CLOSED)
    return schemathesis.openapi.from_wsgi("/api/openapi.json", PerRequestContext(app))


def test_the_description_is_openapi_3_1_and_covers_the_json_api(client):
    document = client.get("/api/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    assert document["info"]["license"]["url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert set(document["paths"]) == {
        "/open311/v2/discovery.json", "/open311/v2/services.json", "/open311/v2/services/{service_code}.json",
        "/open311/v2/requests.json", "/open311/v2/requests/{service_request_id}.json",
        "/open311/v2/tokens/{token}.json", "/transparency/statistics.json", "/published/answers.json",
        "/api/openapi.json"}
    assert set(document["paths"]["/open311/v2/requests.json"]) == {"get", "post"}


# Three checks do not apply:
# - positive_data_acceptance and negative_data_rejection assume any value of the right type is meaningful;
#   here a well-formed body code or month that names nothing is refused with a documented 400 or 404;
# - unsupported_method sends methods the description does not list: CSRF protection refuses unsafe ones
#   with 400 before any method check (only the Open311 POST is exempt), and other 405s come from the
#   application's shared error handler, outside this API.
@schema.parametrize()
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_the_api_keeps_to_its_description(case):
    # The test client does not undo gzip, which the app uses for public responses (tested in foundation).
    case.call_and_validate(headers={"Accept-Encoding": "identity"}, excluded_checks=[positive_data_acceptance, negative_data_rejection, unsupported_method])
