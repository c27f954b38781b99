"""One api_key's complaints are counted together, from whatever addresses they come: a key embedded in a page
or spread over many machines cannot send more than its limit by changing address."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from civicwatch.interfaces.operations import issue_api_key
from tests.interfaces.conftest import COMPLAINT


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config.update(RATELIMIT_ENABLED=True, OPEN311_RATE_LIMIT="100 per minute", OPEN311_KEY_RATE_LIMIT="2 per minute")
    return app_config


def issued(name: str) -> str:
    _, secret = issue_api_key(name, None)
    db.session.commit()
    return secret


def send(client, api_key: str, address: str, fmt: str = "json"):
    return client.post(f"/open311/v2/requests.{fmt}", data={"api_key": api_key, **COMPLAINT},
                       environ_base={"REMOTE_ADDR": address})


def test_a_key_is_limited_across_addresses(client):
    key, other = issued("Freetown civic app"), issued("Bo radio station")
    statuses = [send(client, key, f"198.51.100.{i}").status_code for i in range(1, 4)]
    assert statuses == [200, 200, 429]
    limited = send(client, key, "198.51.100.9", fmt="xml")
    assert limited.status_code == 429 and "<code>429</code>" in limited.get_data(as_text=True)
    assert send(client, other, "198.51.100.1").status_code == 200  # another client keeps its own count
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Case)) == 3
