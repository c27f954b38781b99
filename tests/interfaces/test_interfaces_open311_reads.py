"""Open311's reads are public data, like the statistics and answers downloads: kept by browsers and proxies for a
minute (an error is not), and a parameter given twice is refused rather than read as its first value (a client
asking for two codes that way would be answered for one under a query naming two)."""
from __future__ import annotations

import pytest

READS = ["/open311/v2/discovery.json", "/open311/v2/services.json", "/open311/v2/services/corruption.json",
         "/open311/v2/requests.json", "/open311/v2/requests.xml?status=open"]


@pytest.mark.parametrize("path", READS)
def test_public_reads_may_be_cached_for_a_minute(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=60"


def test_an_error_is_not_cached(client):
    response = client.get("/open311/v2/requests.json?status=lost")
    assert response.status_code == 400
    assert "public" not in response.headers.get("Cache-Control", "")


@pytest.mark.parametrize("query", ["status=open&status=closed", "service_code=corruption&service_code=abuse_of_force",
                                   "start_date=2026-01-01T00:00:00Z&start_date=2026-02-01T00:00:00Z",
                                   "end_date=2026-01-01T00:00:00Z&end_date=2026-02-01T00:00:00Z",
                                   "service_request_id=CW-2026-000001&service_request_id=CW-2026-000002"])
def test_a_parameter_given_twice_is_refused(client, query):
    response = client.get(f"/open311/v2/requests.json?{query}")
    assert response.status_code == 400
    name = query.split("=")[0]
    assert f"Give {name} once" in response.get_json()[0]["description"]
